//! Start-up shared by the CLI and the tests: open the database, migrate, load the reference
//! data, and serve until a shutdown signal.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::{AppConfig, GlobalOptions};
use crate::db::{self, Database};
use crate::web::AppState;

/// The office name shown when neither the settings table nor the configuration names one.
const DEFAULT_OFFICE_NAME: &str = "Ban Dân vận";

/// Opens (and if needed creates and starts) the database, applies migrations and loads the
/// official unit lists.
/// The pool returned connects as the owner role, without statement timeout: for start-up and
/// operator commands. The web server gets its own pool from [`app_pool`].
pub async fn open(global: &GlobalOptions, max_connections: u32) -> anyhow::Result<(Database, PgPool)> {
    let database =
        Database::open(global.database_url.as_deref(), global.database_owner_url.as_deref(), &global.data_dir).await?;
    let pool = match db::pool(database.connect_options(), max_connections).await {
        Ok(pool) => pool,
        Err(error) => {
            database.shutdown();
            return Err(error);
        }
    };
    let prepared = async {
        db::migrate(&pool).await?;
        crate::units::reference::ensure_loaded(&pool).await.context("nạp danh mục đơn vị hành chính")?;
        if let Some((role, create)) = database.app_role() {
            db::grant_app_role(&pool, &role, create).await?;
        }
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = prepared {
        pool.close().await;
        database.shutdown();
        return Err(error);
    }
    Ok((database, pool))
}

/// The web server's pool: the restricted role (on the private cluster, or when an owner URL is
/// set apart), bounded statements and a short wait for a connection. It serves the requests
/// that only read (and the background tasks); [`serve_until`] makes the writes' own. On the
/// private cluster its PostgreSQL processes run at `read_niceness` ([`READ_NICENESS`] unless the
/// operator sets it), like the threads that use them: at quarter-end a dashboard's query then
/// yields the core to a save's statement instead of sharing it (see [`db::niced_request_pool`]).
pub async fn app_pool(database: &Database, max_connections: u32, read_niceness: i32) -> anyhow::Result<PgPool> {
    let options = database.app_connect_options();
    match database.local_cluster() {
        Some(_) if read_niceness > own_niceness() => {
            db::niced_request_pool(options, max_connections, read_niceness).await
        }
        _ => db::pool_for(options, max_connections, db::PoolPurpose::Requests).await,
    }
}

pub async fn app_config(pool: &PgPool, global: &GlobalOptions, secure_cookies: bool) -> anyhow::Result<AppConfig> {
    let stored =
        sqlx::query_scalar!("SELECT value FROM settings WHERE key = 'office_name'").fetch_optional(pool).await?;
    let office_name = global
        .office_name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .or(stored)
        .unwrap_or_else(|| DEFAULT_OFFICE_NAME.to_owned());
    Ok(AppConfig { office_name, secure_cookies })
}

/// The web server's state over the primary's `pool`, without a read replica (set
/// `replica` on it for one).
pub fn state(pool: PgPool, config: AppConfig) -> AppState {
    AppState { pool, config: Arc::new(config), aggregates: Arc::default(), replica: None }
}

/// How long a client may take to send a request's headers before the connection is closed
/// (slow clients, "slowloris"). hyper only enforces it when given a timer, which
/// `axum::serve` does not do, hence the accept loop below.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves until SIGINT or SIGTERM; requests in flight are allowed to finish.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    serve_until(listener, state, HEADER_READ_TIMEOUT, shutdown_signal()).await
}

/// The niceness of the threads serving reads (dashboards, pages, exports), above the default 0
/// the threads serving writes keep: when dashboards keep both cores busy at quarter-end, the
/// kernel runs a save's thread first each time PostgreSQL answers it, instead of after the
/// running reads' time slices (a save makes a dozen round trips; each waited up to a slice,
/// 3 ms on two cores). Reads lose little: writes are a small share of the work. A higher
/// niceness needs no privilege.
pub const READ_NICENESS: i32 = 5;

/// The calling thread's niceness (that of the process for its main thread), 0 if unknown.
pub fn own_niceness() -> i32 {
    // getpriority may answer -1 legitimately; errno tells an error apart.
    // SAFETY: errno is thread-local; getpriority reads no memory of ours.
    unsafe {
        *libc::__errno_location() = 0;
        let niceness = libc::getpriority(libc::PRIO_PROCESS, 0);
        if *libc::__errno_location() != 0 { 0 } else { niceness }
    }
}

/// The niceness for reads when the operator asks for `read_niceness` (`--read-niceness`): that
/// much above the server's own, so a server started under `nice` (or systemd's `Nice=`) keeps
/// its reads below its writes instead of being refused; at most 19. Call it on the main thread,
/// before the runtime's threads are lowered.
pub fn reads_niceness(read_niceness: i32) -> i32 {
    own_niceness().saturating_add(read_niceness.max(0)).min(19)
}

/// Lowers the calling thread's scheduling priority to `niceness` (Linux's niceness is per
/// thread). A refusal only costs the preference, so it is logged, not fatal.
pub fn lower_thread_priority(niceness: i32) {
    lower_process_priority(0, niceness);
}

/// Lowers the scheduling priority of process (or thread) `pid` to `niceness`; 0 names the
/// calling thread. A refusal only costs the preference, so it is logged, not fatal.
pub fn lower_process_priority(pid: i32, niceness: i32) {
    let Ok(who) = libc::id_t::try_from(pid) else {
        return;
    };
    // SAFETY: setpriority reads no memory of ours; it only names a process by its id.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, who, niceness) };
    if result != 0 {
        tracing::warn!(error = %std::io::Error::last_os_error(), pid, niceness, "không hạ được độ ưu tiên của tiến trình đọc");
    }
}

/// The time slice, in nanoseconds, asked of the kernel for the threads and PostgreSQL
/// processes that serve writes (Linux 6.12 and later; older kernels ignore it). With the
/// EEVDF scheduler a waking task whose slice is shorter than the running one's preempts it at
/// once; with the default slice (0,7 ms × (1 + log2 cores)) it waits for the running task's
/// slice to end. A save is a handful of such wake-ups (its thread, then its PostgreSQL
/// process, each time PostgreSQL answers), each of which waited behind a dashboard's query.
/// Asking for a shorter slice needs no privilege; the kernel's floor is 0,1 ms.
pub const WRITE_SLICE_NS: u64 = 200_000;

/// Asks the kernel for a [`WRITE_SLICE_NS`] time slice for the thread or process `pid` (0: the
/// calling thread), keeping its policy (normal) and niceness. A refusal only costs the
/// preference, so it is logged at debug level, not fatal.
pub fn request_short_slice(pid: i32) {
    let Ok(who) = libc::id_t::try_from(pid) else {
        return;
    };
    // sched_setattr sets the niceness too: pass the one it has.
    // SAFETY: errno is thread-local; getpriority reads no memory of ours.
    let niceness = unsafe {
        *libc::__errno_location() = 0;
        let niceness = libc::getpriority(libc::PRIO_PROCESS, who);
        if *libc::__errno_location() != 0 {
            return;
        }
        niceness
    };
    let attr = libc::sched_attr {
        size: std::mem::size_of::<libc::sched_attr>() as u32,
        sched_policy: libc::SCHED_OTHER as u32,
        sched_flags: 0,
        sched_nice: niceness,
        sched_priority: 0,
        sched_runtime: WRITE_SLICE_NS,
        sched_deadline: 0,
        sched_period: 0,
    };
    // SAFETY: the kernel reads `attr` (its size in its first field) and nothing else of ours.
    let result = unsafe { libc::syscall(libc::SYS_sched_setattr, libc::c_long::from(pid), &attr, 0u32) };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), pid, "không đặt được lát thời gian ngắn cho luồng ghi");
    }
}

/// Worker threads of the front runtime: connections, their bytes, and the requests that change
/// data (see [`serve_until`]).
pub const WRITE_THREADS: usize = 2;

/// The front runtime of [`serve_until`], shut down without blocking when dropped (a runtime
/// must not be dropped inside another one's tasks).
struct FrontRuntime(Option<tokio::runtime::Runtime>);

impl Drop for FrontRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Serves on `listener` until `shutdown` completes, then lets open connections finish their
/// requests. Each connection speaks HTTP/1.1 through hyper with a header-read
/// timeout of `header_read_timeout`.
///
/// Two runtimes share the work. The *front* runtime ([`WRITE_THREADS`] threads at the server's
/// own priority) accepts connections, reads and writes every request's bytes, and runs the
/// requests that change data with a pool of their own, whose connections it drives. The
/// requests that only read (dashboards, pages, exports) run on the caller's runtime (its
/// threads lowered by `main` to the reads' niceness) with the reads' pool. At quarter-end,
/// when 32 dashboard clients keep both cores busy, a save then never waits in the reads' queue:
/// neither for its connection to be accepted, nor for its body to be read, nor for its answer
/// to be written, nor for each of its round trips to PostgreSQL (the front's tasks are short:
/// the reads' bytes, no computing). Both pools reach the same database; nothing else differs
/// between them.
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    header_read_timeout: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    // The last fold, once the front runtime (and the writes' pool with it) is gone.
    let compact_pool = state.pool.clone();
    if let Some(replica) = &state.replica {
        // Before the listener starts: its first note of the primary's position must be taken.
        state.aggregates.track_positions();
        crate::replica::spawn_monitor(state.pool.clone(), replica.clone());
    }
    crate::dashboards::changes::spawn(state.pool.clone(), state.aggregates.clone());
    let front = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WRITE_THREADS)
        .thread_name("danvan-front")
        .on_thread_start(|| request_short_slice(0))
        .enable_all()
        .build()
        .context("không tạo được luồng xử lý ghi")?;
    let write_state = {
        // Created inside the front runtime: the pool's tasks and connections belong to it.
        let _entered = front.enter();
        // Fresh settings: the reads' pool may lower its PostgreSQL processes' priority; this
        // one asks a short time slice for its own, when they are processes of this machine.
        let options = (*state.pool.connect_options()).clone();
        // A Unix socket (a `host` that is a directory, as the private cluster's) is this machine.
        let local = options.get_socket().is_some() || options.get_host().starts_with('/');
        let pool = db::pool_options(state.pool.options().get_max_connections(), db::PoolPurpose::Requests);
        let pool = if local {
            pool.after_connect(|connection, _| {
                Box::pin(async move {
                    let pid =
                        sqlx::query_scalar!(r#"SELECT pg_backend_pid() AS "pid!""#).fetch_one(&mut *connection).await?;
                    request_short_slice(pid);
                    Ok(())
                })
            })
        } else {
            pool
        };
        let pool = pool.connect_lazy_with(options);
        // The compactor rewrites the roll-up rows the moves insert next to, page by page: on a
        // niced reads' backend it held those pages' locks while the scheduler kept it waiting,
        // and a submission's roll-up insert waited with it (20–45 ms at quarter-end). It runs
        // here, at the saves' priority, in this runtime whose pool it uses.
        crate::dashboards::rollup::spawn_compactor(pool.clone());
        AppState { pool, ..state.clone() }
    };
    // The listening socket moves to the front runtime, so that the connections it accepts are
    // registered with the front's reactor (a socket wakes the runtime it was registered with).
    let listener = listener.into_std().context("không chuyển được cổng nghe sang luồng tiếp nhận")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut accepting = front.spawn(accept_until(
        listener,
        state,
        write_state,
        tokio::runtime::Handle::current(),
        header_read_timeout,
        stopped,
    ));
    let front = FrontRuntime(Some(front));
    // An accept loop that fails to start (or stops by itself) ends the server too.
    let ended = tokio::select! {
        _ = shutdown => None,
        ended = &mut accepting => Some(ended),
    };
    let ended = match ended {
        Some(ended) => ended,
        None => {
            let _ = stop.send(());
            accepting.await
        }
    };
    match ended {
        Ok(result) => result?,
        Err(error) => tracing::error!(%error, "luồng tiếp nhận kết nối dừng bất thường"),
    }
    drop(front);
    crate::dashboards::rollup::compact_pending(&compact_pool).await;
    Ok(())
}

/// The front runtime's accept loop of [`serve_until`]: serves each connection on the front,
/// hands the requests that only read to `reads` (the caller's runtime) and runs those that
/// change data where they are. After `stop`, stops accepting and waits at most 30 s for the
/// open connections' requests.
async fn accept_until(
    listener: std::net::TcpListener,
    state: AppState,
    write_state: AppState,
    reads: tokio::runtime::Handle,
    header_read_timeout: std::time::Duration,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    use tower::Service;

    let listener = TcpListener::from_std(listener).context("không nghe được trên cổng đã mở")?;
    let mut make_service = crate::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let mut make_write_service = crate::app(write_state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "không nhận được kết nối");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let Ok(read_service) = make_service.call(peer).await;
        let Ok(write_service) = make_write_service.call(peer).await;
        let reads = reads.clone();
        let tower_service = tower::service_fn(move |request: axum::extract::Request<hyper::body::Incoming>| {
            let mut read_service = read_service.clone();
            let mut write_service = write_service.clone();
            let reads = reads.clone();
            async move {
                if crate::web::routes::changes_data(request.method()) {
                    return write_service.call(request).await;
                }
                match reads.spawn(async move { read_service.call(request).await }).await {
                    Ok(response) => response,
                    Err(error) => {
                        tracing::error!(%error, "yêu cầu đọc dừng bất thường");
                        Ok(axum::response::IntoResponse::into_response(axum::http::StatusCode::INTERNAL_SERVER_ERROR))
                    }
                }
            }
        });
        let hyper_service = TowerToHyperService::new(tower_service);
        let connection = builder.serve_connection(TokioIo::new(stream), hyper_service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that hangs up or sends garbage ends its own connection only.
            let _ = connection.await;
        });
    }
    drop(listener);
    tracing::info!("nhận tín hiệu dừng: hoàn tất các yêu cầu đang xử lý rồi tắt");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {
            tracing::warn!("còn kết nối chưa xong sau 30 giây; dừng hẳn");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}
