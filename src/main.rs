use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use danvan::config::{GlobalOptions, ServeOptions};
use danvan::server;
use tokio::net::TcpListener;

/// mimalloc instead of glibc's malloc: glibc kept the 19 MiB of every Argon2id hash after it was
/// freed (its mmap threshold rises to the largest block freed, so later hashes came from arenas
/// that are never trimmed), and the server grew by that much per sign-in.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// danvan — quản lý công tác dân vận (directives, targets, quarterly reports, dashboards).
#[derive(Debug, Parser)]
#[command(name = "danvan", version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Chạy máy chủ web / run the web server
    Serve(ServeOptions),
    /// Áp dụng migration và nạp danh mục đơn vị / apply migrations and load the unit lists
    Migrate,
    /// Sinh dữ liệu tổng hợp cỡ toàn quốc cho đo hiệu năng / fill the database with national-scale synthetic data
    Synth {
        /// Số chỉ tiêu mỗi báo cáo
        #[arg(long, default_value_t = 40)]
        elements: usize,
    },
    /// Số liệu tổng hợp của bảng điều khiển / dashboard roll-ups
    Rollup {
        #[command(subcommand)]
        command: RollupCommand,
    },
    /// Nhập số liệu từ tệp CSV hoặc Excel theo mẫu, cho mọi đơn vị (người vận hành) / import values from a file into any unit
    Import {
        /// Tệp CSV (UTF-8) hoặc .xlsx: unit_code, period, element_code, organisation, value (có thể thêm status)
        file: PathBuf,
        /// In từng báo cáo đã nhập / list every report written
        #[arg(long)]
        verbose: bool,
    },
    /// Quản lý tài khoản / manage accounts
    User {
        #[command(subcommand)]
        command: danvan::auth::cli::UserCommand,
    },
    /// Sao lưu cơ sở dữ liệu vào một tệp (pg_dump -Fc), khi máy chủ đang chạy hay đã dừng / back up the database into a file
    Backup {
        /// Tệp sẽ ghi (ghi vào tệp tạm bên cạnh rồi đổi tên khi xong)
        file: PathBuf,
    },
    /// Khôi phục bản sao lưu vào cơ sở dữ liệu trống rồi kiểm tra (migration, số dòng) / restore a backup into an empty database
    Restore {
        /// Tệp sao lưu do `danvan backup` ghi
        file: PathBuf,
        /// Thay thế cơ sở dữ liệu đang có dữ liệu (in ra những gì sẽ bị thay thế) / replace a database that is not empty
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RollupCommand {
    /// Tính lại mọi số liệu tổng hợp từ báo cáo và liệt kê chỗ khác (mã thoát 1 nếu có) / recompute and list differences
    Verify,
    /// Dựng lại số liệu tổng hợp từ báo cáo / rebuild the roll-ups from the reports
    Rebuild,
}

fn main() -> ExitCode {
    danvan::metrics::logs::init();
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Command::Serve(options) = &cli.command {
        // The server's reads run on this runtime; its connections and writes on a front
        // runtime of their own at the default priority (`server::serve_until`,
        // `server::READ_NICENESS`).
        let niceness = danvan::server::reads_niceness(options.read_niceness);
        if niceness > danvan::server::own_niceness() {
            builder.on_thread_start(move || danvan::server::lower_thread_priority(niceness));
        }
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("không khởi tạo được tokio: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Lỗi: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(options) => serve(&cli.global, options).await,
        Command::Migrate => {
            let (database, pool) = server::open(&cli.global, 2).await?;
            println!("Đã áp dụng migration và nạp danh mục đơn vị ({}).", database.describe());
            pool.close().await;
            database.shutdown();
            Ok(())
        }
        Command::Synth { elements } => {
            let (database, pool) = server::open(&cli.global, 4).await?;
            let result = danvan::dashboards::synth::run(&pool, elements).await;
            pool.close().await;
            database.shutdown();
            result
        }
        Command::Rollup { command } => {
            let (database, pool) = server::open(&cli.global, 2).await?;
            let result = rollup(&pool, command).await;
            pool.close().await;
            database.shutdown();
            result
        }
        Command::Import { file, verbose } => {
            // The file first: a wrong one is refused before the database is even started.
            let rows = danvan::exports::import::read_file(&file).await?;
            let (database, pool) = server::open(&cli.global, 2).await?;
            let result = danvan::exports::import::run_cli(&pool, &file, &rows, verbose).await;
            pool.close().await;
            database.shutdown();
            result
        }
        Command::User { command } => {
            let (database, pool) = server::open(&cli.global, 2).await?;
            let result = danvan::auth::cli::run(&pool, command).await;
            pool.close().await;
            database.shutdown();
            result
        }
        Command::Backup { file } => danvan::operations::backup::run(&cli.global, &file).await,
        Command::Restore { file, force } => danvan::operations::restore::run(&cli.global, &file, force).await,
    }
}

async fn rollup(pool: &sqlx::PgPool, command: RollupCommand) -> anyhow::Result<()> {
    use danvan::dashboards::rollup;
    match command {
        RollupCommand::Rebuild => {
            let rows = rollup::rebuild(pool).await?;
            println!("Đã dựng lại số liệu tổng hợp: {} dòng.", danvan::format::integer(rows as i64));
            Ok(())
        }
        RollupCommand::Verify => {
            let differences = rollup::verify(pool).await?;
            if differences.is_empty() {
                println!("Số liệu tổng hợp khớp với báo cáo.");
                return Ok(());
            }
            for d in &differences {
                println!(
                    "đơn vị {} · cơ sở {} · {} · loại {} · quý {} · {}{}{}: lưu {} — tính lại {}",
                    d.unit_id,
                    d.basis,
                    d.year,
                    d.kind,
                    d.quarter,
                    d.element_code,
                    if d.organisation_code.is_empty() { "" } else { "." },
                    d.organisation_code,
                    d.stored.as_deref().unwrap_or("—"),
                    d.expected.as_deref().unwrap_or("—")
                );
            }
            anyhow::bail!("{} số liệu tổng hợp khác với báo cáo (danvan rollup rebuild để dựng lại)", differences.len())
        }
    }
}

async fn serve(global: &GlobalOptions, options: ServeOptions) -> anyhow::Result<()> {
    danvan::metrics::allow::configure_from_env().map_err(anyhow::Error::msg)?;
    let (database, pool) = server::open(global, 4).await?;
    tracing::info!("cơ sở dữ liệu: {}", database.describe());
    let result = async {
        let _watchdog = danvan::operations::watchdog::spawn(&database);
        if options.demo {
            danvan::demo::load(&pool).await?;
        }
        let config = server::app_config(&pool, global, options.secure_cookies).await?;
        // The web server works through its own restricted role and bounded statements.
        let app_pool =
            server::app_pool(&database, options.db_connections, server::reads_niceness(options.read_niceness)).await?;
        let mut state = server::state(app_pool.clone(), config);
        if let Some(url) = options.database_read_url.as_deref().filter(|url| !url.trim().is_empty()) {
            let replica =
                danvan::replica::Replica::connect(url, options.db_connections, options.database_read_max_lag).await?;
            tracing::info!(
                "bản sao chỉ đọc: {} (trễ tối đa {:.1} s)",
                replica.describe(),
                options.database_read_max_lag.as_secs_f64()
            );
            state.replica = Some(replica);
        }
        let listener = TcpListener::bind(options.bind).await?;
        let address = listener.local_addr()?;
        tracing::info!("danvan đang chạy tại http://{address}/ (Ctrl+C để dừng)");
        let served = server::serve(listener, state.clone()).await;
        app_pool.close().await;
        if let Some(replica) = &state.replica {
            replica.close().await;
        }
        served
    }
    .await;
    pool.close().await;
    database.shutdown();
    tracing::info!("đã dừng");
    result
}
