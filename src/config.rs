//! Settings from flags and the environment, validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Settings shared by every subcommand: where the data lives and which database to use.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Thư mục dữ liệu (cụm PostgreSQL riêng, tệp đính kèm) / data directory
    #[arg(long, env = "DANVAN_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// PostgreSQL có sẵn; bỏ trống để dùng cụm riêng trong thư mục dữ liệu
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Kết nối của vai trò sở hữu bảng (chạy migration), khi DATABASE_URL là vai trò hạn chế của
    /// máy chủ web / owner role's URL for migrations when DATABASE_URL is the web server's restricted role
    #[arg(long, env = "DANVAN_DATABASE_OWNER_URL", global = true, hide_env_values = true)]
    pub database_owner_url: Option<String>,

    /// Tên cơ quan hiển thị ở đầu trang (ghi đè giá trị trong cơ sở dữ liệu)
    #[arg(long, env = "DANVAN_OFFICE_NAME", global = true)]
    pub office_name: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Địa chỉ lắng nghe / address to listen on
    #[arg(long, env = "DANVAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Nạp bộ dữ liệu mẫu vào cơ sở dữ liệu trống / load the demo dataset into an empty database
    #[arg(long)]
    pub demo: bool,

    /// Đặt cờ Secure cho cookie (khi chạy sau HTTPS)
    #[arg(long, env = "DANVAN_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Số kết nối tối đa tới PostgreSQL
    #[arg(long, env = "DANVAN_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,

    /// Bản sao chỉ đọc (hot standby) cho bảng điều khiển, API tổng hợp, truy vết và xuất báo cáo
    /// / read-only replica URL for dashboards, the aggregates API, drill-downs and exports
    #[arg(long, env = "DANVAN_DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<String>,

    /// Độ trễ tối đa của bản sao; trễ hơn thì đọc từ máy chủ chính (5s, 500ms, 1m)
    /// / largest replica lag before reads go to the primary
    #[arg(long, env = "DANVAN_DATABASE_READ_MAX_LAG", default_value = "5s", value_parser = parse_duration)]
    pub database_read_max_lag: Duration,

    /// Độ "nhường" CPU của phần đọc (0–19; 0: ngang phần ghi) / niceness of the threads and, on
    /// the private cluster, the PostgreSQL processes that serve reads (see `server::READ_NICENESS`)
    #[arg(long, env = "DANVAN_READ_NICENESS", default_value_t = crate::server::READ_NICENESS,
          value_parser = clap::value_parser!(i32).range(0..=19))]
    pub read_niceness: i32,
}

/// Parses a duration as operators write it: `5s`, `500ms`, `1m`, or a bare number of seconds
/// (`2.5`). Refuses negative, empty and unknown units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| {
        format!("“{text}” không phải khoảng thời gian (ví dụ 5s, 500ms) / not a duration (e.g. 5s, 500ms)")
    })?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        other => return Err(format!("đơn vị thời gian “{other}” không hợp lệ (dùng ms, s, m) / unknown unit")),
    };
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("“{text}”: khoảng thời gian không hợp lệ / invalid duration"))
}

/// What the running web app needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub office_name: String,
    pub secure_cookies: bool,
}

impl AppConfig {
    pub fn for_tests() -> Self {
        AppConfig { office_name: "Ban Dân vận Tỉnh ủy (thử nghiệm)".into(), secure_cookies: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
