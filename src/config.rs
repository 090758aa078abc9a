//! Settings from flags and the environment, validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;

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
