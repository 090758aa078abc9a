//! What a database (or an archive) holds, counted: the rows of every table, and the figures an
//! operator recognises (units, accounts, reports, values, the latest migration).

use std::collections::BTreeMap;

use sqlx::PgConnection;

use crate::db::quote_ident;
use crate::format::integer;

/// The tables an operator is told about, in the order printed, with their Vietnamese names.
const SHOWN: [(&str, &str); 4] =
    [("units", "đơn vị"), ("users", "tài khoản"), ("reports", "báo cáo"), ("report_values", "giá trị")];

/// Rows per table of the `public` schema, and the migrations recorded there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// Table name (unqualified) → rows.
    pub rows: BTreeMap<String, i64>,
    /// Versions recorded as applied in `_sqlx_migrations`, ascending.
    pub migrations: Vec<i64>,
}

impl Contents {
    /// Counts every ordinary table of `public` in the connection's current snapshot (call it
    /// inside the transaction whose snapshot matters). Table names come from the catalogue and
    /// are quoted.
    pub async fn read(conn: &mut PgConnection) -> anyhow::Result<Contents> {
        let tables: Vec<String> = sqlx::query_scalar!(
            r#"SELECT c.relname::text AS "relname!" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"#,
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut rows = BTreeMap::new();
        for table in tables {
            // Dynamic: the table is named by the catalogue at run time.
            let statement = format!("SELECT count(*) FROM ONLY public.{}", quote_ident(&table));
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(statement)).fetch_one(&mut *conn).await?;
            rows.insert(table, count);
        }
        let migrations = if rows.contains_key("_sqlx_migrations") {
            sqlx::query_scalar!("SELECT version FROM public._sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&mut *conn)
                .await?
        } else {
            Vec::new()
        };
        Ok(Contents { rows, migrations })
    }

    /// No table at all in `public`.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// "13.456 đơn vị, 3 tài khoản, 1.234 báo cáo, 45.678 giá trị, migration 21".
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = SHOWN
            .iter()
            .map(|(table, name)| format!("{} {name}", integer(self.rows.get(*table).copied().unwrap_or(0))))
            .collect();
        match self.migrations.last() {
            Some(last) => parts.push(format!("migration {last}")),
            None => parts.push("chưa có migration".to_owned()),
        }
        if !self.rows.contains_key("_sqlx_migrations") && !self.rows.is_empty() {
            parts.push(format!("{} bảng khác", self.rows.len()));
        }
        parts.join(", ")
    }

    /// The tables whose rows differ between `self` (expected) and `other` (found), each as
    /// "bảng: a ≠ b"; a table missing on one side counts as 0 rows there.
    pub fn differences(&self, other: &Contents) -> Vec<String> {
        let mut names: Vec<&String> = self.rows.keys().chain(other.rows.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let expected = self.rows.get(name).copied().unwrap_or(0);
                let found = other.rows.get(name).copied().unwrap_or(0);
                (expected != found).then(|| {
                    format!("{name}: bản sao lưu có {} dòng, cơ sở dữ liệu có {}", integer(expected), integer(found))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(rows: &[(&str, i64)], migrations: &[i64]) -> Contents {
        Contents { rows: rows.iter().map(|(t, n)| (t.to_string(), *n)).collect(), migrations: migrations.to_vec() }
    }

    #[test]
    fn the_summary_names_what_an_operator_knows() {
        let c = contents(
            &[("_sqlx_migrations", 21), ("units", 13456), ("users", 3), ("reports", 12345), ("report_values", 7)],
            &[1, 2, 21],
        );
        assert_eq!(c.summary(), "13.456 đơn vị, 3 tài khoản, 12.345 báo cáo, 7 giá trị, migration 21");
        assert_eq!(
            contents(&[("khac", 1)], &[]).summary(),
            "0 đơn vị, 0 tài khoản, 0 báo cáo, 0 giá trị, chưa có migration, 1 bảng khác"
        );
    }

    #[test]
    fn differences_count_a_missing_table_as_empty() {
        let archive = contents(&[("users", 3), ("reports", 0), ("audit_log", 5)], &[]);
        let restored = contents(&[("users", 3), ("audit_log", 4), ("extra", 0)], &[]);
        assert_eq!(archive.differences(&restored), ["audit_log: bản sao lưu có 5 dòng, cơ sở dữ liệu có 4"]);
        assert!(archive.differences(&archive).is_empty());
    }
}
