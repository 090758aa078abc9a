//! `danvan user add | passwd | list`: the first administrator of a deployment is made here.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use sqlx::PgPool;

use super::{Role, password, sessions, users};
use crate::audit::{self, Actor, Entry};
use crate::units;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Tạo tài khoản / create an account
    Add {
        #[arg(long)]
        username: String,
        /// Họ và tên
        #[arg(long)]
        name: String,
        /// Mã đơn vị (ví dụ 91, 905, 30883) hoặc TW cho toàn quốc
        #[arg(long)]
        unit: String,
        /// Ngày dùng để tra mã đơn vị (mặc định hôm nay): mã được dùng lại sau sắp xếp 2025
        #[arg(long)]
        as_of: Option<String>,
        /// nhap_lieu, duyet, lanh_dao, quan_tri (lặp lại hoặc ngăn bằng dấu phẩy)
        #[arg(long = "role", required = true, value_delimiter = ',')]
        roles: Vec<String>,
        /// Đọc mật khẩu từ dòng đầu của stdin; không có cờ này thì sinh mật khẩu ngẫu nhiên
        #[arg(long)]
        password_stdin: bool,
    },
    /// Đặt mật khẩu mới / set a new password
    Passwd {
        username: String,
        /// Đọc mật khẩu từ dòng đầu của stdin thay vì hỏi
        #[arg(long)]
        password_stdin: bool,
    },
    /// Liệt kê tài khoản / list accounts
    List,
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("đọc mật khẩu từ stdin")?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let first = rpassword::prompt_password("Mật khẩu mới: ")?;
    let second = rpassword::prompt_password("Nhập lại: ")?;
    if first != second {
        bail!("Hai lần nhập mật khẩu không khớp.");
    }
    Ok(first)
}

pub async fn run(pool: &PgPool, command: UserCommand) -> anyhow::Result<()> {
    let actor = Actor::system("cli");
    match command {
        UserCommand::Add { username, name, unit, as_of, roles, password_stdin } => {
            let username = username.trim().to_lowercase();
            let as_of = match as_of {
                Some(text) => units::parse_date(&text)
                    .with_context(|| format!("--as-of {text}: ngày không hợp lệ (dạng 2020-12-31)"))?,
                None => units::today(),
            };
            let unit = units::resolve_for_person(pool, &unit, as_of).await.map_err(anyhow::Error::msg)?;
            let mut parsed = Vec::new();
            for role in &roles {
                let role = Role::parse(role).with_context(|| {
                    format!("vai trò {role} không có; dùng nhap_lieu, duyet, lanh_dao hoặc quan_tri")
                })?;
                if !parsed.contains(&role.as_str().to_owned()) {
                    parsed.push(role.as_str().to_owned());
                }
            }
            if name.trim().is_empty() {
                bail!("--name không được để trống");
            }
            if users::by_username(pool, &username).await?.is_some() {
                bail!("Tên đăng nhập {username} đã có.");
            }
            let (secret, generated) =
                if password_stdin { (read_password(true)?, false) } else { (password::generate(), true) };
            if let Some(problem) = password::policy_error(&secret) {
                bail!("{problem}");
            }
            let hash = password::hash(secret.clone()).await?;
            let mut tx = pool.begin().await?;
            let new_user = users::NewUser {
                username: &username,
                full_name: name.trim(),
                unit_id: unit.as_ref().map(|u| u.id),
                roles: &parsed,
                password_hash: &hash,
            };
            let id = match users::insert(&mut *tx, &new_user).await {
                Ok(id) => id,
                // Taken since the check above (that check only spares typing a password).
                Err(error) if crate::error::violates(&error, "users_username") => {
                    bail!("Tên đăng nhập {username} đã có.")
                }
                Err(error) => return Err(error).context("không tạo được tài khoản"),
            };
            let created = users::by_id(&mut *tx, id).await?;
            let entry = Entry {
                action: "create",
                entity: "user",
                entity_id: id.to_string(),
                unit_id: unit.as_ref().map(|u| u.id),
                before: None,
                after: created.and_then(|u| serde_json::to_value(u).ok()),
            };
            audit::record(&mut *tx, &actor, entry).await?;
            tx.commit().await?;
            let unit_text = unit.map(|u| format!("{} ({}, {})", u.name, u.code, u.validity_text()));
            println!("Đã tạo tài khoản {username} — {}", unit_text.unwrap_or_else(|| "Toàn quốc".into()));
            if generated {
                println!("Mật khẩu: {secret}");
            }
            Ok(())
        }
        UserCommand::Passwd { username, password_stdin } => {
            let username = username.trim().to_lowercase();
            let user =
                users::by_username(pool, &username).await?.with_context(|| format!("không có tài khoản {username}"))?;
            let secret = read_password(password_stdin)?;
            if let Some(problem) = password::policy_error(&secret) {
                bail!("{problem}");
            }
            let hash = password::hash(secret).await?;
            let mut tx = pool.begin().await?;
            let revoked = users::set_password(&mut tx, user.id, &hash).await?;
            let entry = Entry {
                action: "reset_password",
                entity: "user",
                entity_id: user.id.to_string(),
                unit_id: user.unit_id,
                before: None,
                after: Some(serde_json::json!({ "api_tokens_revoked": revoked })),
            };
            audit::record(&mut *tx, &actor, entry).await?;
            tx.commit().await?;
            sessions::delete_for_user(pool, user.id).await?;
            println!(
                "Đã đặt mật khẩu mới cho {username}; các phiên đăng nhập cũ đã kết thúc, {revoked} khóa API đã bị thu hồi."
            );
            Ok(())
        }
        UserCommand::List => {
            let filter = users::ListFilter { within_path: None, unit_text: "", role: "", active: None };
            for user in users::list(pool, &filter).await? {
                println!(
                    "{:<20} {:<28} {:<40} {:<30} {}",
                    user.username,
                    user.full_name,
                    user.unit_label(),
                    user.roles.join(","),
                    if user.active { "hoạt động" } else { "đã khóa" }
                );
            }
            Ok(())
        }
    }
}

/// The date a demo or import file gives, parsed strictly.
pub fn parse_as_of(text: &str) -> Option<NaiveDate> {
    units::parse_date(text)
}
