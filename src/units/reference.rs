//! The official unit lists (GSO), converted into `reference/units/` by
//! `scripts/convert_units.py` and compiled into the binary, loaded once into a new database.

use std::collections::HashMap;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::text::fold;

struct TreeFile {
    name: &'static str,
    csv: &'static str,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
}

const TREE_BEFORE_REFORM: &str = include_str!("../../reference/units/tree-2025-01-04.csv");
const TREE_AFTER_REFORM: &str = include_str!("../../reference/units/tree-2025-07-01.csv");
const LINEAGE_2025: &str = include_str!("../../reference/units/lineage-2025-07-01.csv");

/// The day the two-tier tree took effect.
pub fn reform_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).expect("valid constant date")
}

fn trees() -> [TreeFile; 2] {
    let reform = reform_date();
    [
        TreeFile { name: "tree-2025-01-04", csv: TREE_BEFORE_REFORM, valid_from: None, valid_to: reform.pred_opt() },
        TreeFile { name: "tree-2025-07-01", csv: TREE_AFTER_REFORM, valid_from: Some(reform), valid_to: None },
    ]
}

#[derive(Debug, Deserialize)]
struct TreeRow {
    code: String,
    name: String,
    kind: String,
    level: i16,
    parent_code: String,
}

#[derive(Debug, Deserialize)]
struct LineageRow {
    level: i16,
    old_code: String,
    new_code: String,
    merge_kind: String,
    note: String,
}

/// Identifies the bundled unit data, so a database loaded from other data can be told apart.
pub fn checksum() -> String {
    let mut hasher = Sha256::new();
    for tree in trees() {
        hasher.update(tree.name.as_bytes());
        hasher.update(tree.csv.as_bytes());
    }
    hasher.update(LINEAGE_2025.as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

// The GSO files sometimes capitalise the kind ("Thành Phố", "Thị Xã").
const KIND_PREFIXES: [&str; 16] = [
    "Thành phố ",
    "Thành Phố ",
    "Tỉnh ",
    "Huyện ",
    "Quận ",
    "Thị xã ",
    "Thị Xã ",
    "Thị trấn ",
    "Thị Trấn ",
    "Xã ",
    "Phường ",
    "Đặc khu ",
    "Thôn ",
    "Ấp ",
    "Khu phố ",
    "Tổ dân phố ",
];

/// "Huyện Đức Trọng" → "Đức Trọng": lists sort by the proper name, not by the kind.
pub fn short_name(name: &str) -> &str {
    KIND_PREFIXES
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .map(str::trim)
        .filter(|rest| !rest.is_empty())
        .unwrap_or(name)
}

#[derive(Default)]
struct Batch {
    id: Vec<i32>,
    code: Vec<String>,
    name: Vec<String>,
    short_name: Vec<String>,
    kind: Vec<String>,
    level: Vec<i16>,
    parent_id: Vec<Option<i32>>,
    path: Vec<String>,
    valid_from: Vec<Option<NaiveDate>>,
    valid_to: Vec<Option<NaiveDate>>,
    search_key: Vec<String>,
}

/// Loads the unit trees and their lineage unless this exact data is already loaded. Safe to
/// call from several processes at once.
pub async fn ensure_loaded(pool: &PgPool) -> anyhow::Result<bool> {
    let checksum = checksum();
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock(7294001)").execute(&mut *tx).await?;
    let loaded: Option<String> = sqlx::query_scalar!("SELECT checksum FROM reference_data WHERE name = 'units'")
        .fetch_optional(&mut *tx)
        .await?;
    match loaded {
        Some(existing) if existing == checksum => return Ok(false),
        Some(_) => {
            tracing::warn!("danh mục đơn vị trong cơ sở dữ liệu khác bản đi kèm; giữ nguyên bản đã nạp");
            return Ok(false);
        }
        None => {}
    }

    let mut batch = Batch::default();
    let mut next_id: i32 = 1;
    let mut ids_by_tree: Vec<HashMap<String, (i32, String)>> = Vec::new();
    for tree in trees() {
        let mut ids: HashMap<String, (i32, String)> = HashMap::new();
        let mut reader = csv::Reader::from_reader(tree.csv.as_bytes());
        for row in reader.deserialize::<TreeRow>() {
            let row = row.with_context(|| format!("đọc {}", tree.name))?;
            let (parent_id, path) = if row.parent_code.is_empty() {
                (None, next_id.to_string())
            } else {
                let Some((parent_id, parent_path)) = ids.get(&row.parent_code) else {
                    bail!("{}: đơn vị {} có cấp trên {} chưa khai báo", tree.name, row.code, row.parent_code);
                };
                (Some(*parent_id), format!("{parent_path}.{next_id}"))
            };
            batch.id.push(next_id);
            batch.short_name.push(short_name(&row.name).to_owned());
            batch.search_key.push(format!("{} {}", fold(&row.name), row.code));
            batch.code.push(row.code.clone());
            batch.name.push(row.name);
            batch.kind.push(row.kind);
            batch.level.push(row.level);
            batch.parent_id.push(parent_id);
            batch.path.push(path.clone());
            batch.valid_from.push(tree.valid_from);
            batch.valid_to.push(tree.valid_to);
            ids.insert(row.code, (next_id, path));
            next_id += 1;
        }
        ids_by_tree.push(ids);
    }

    // Arrays of optional elements are bound `as _` (the macros' check knows `Vec<T>` only).
    sqlx::query!(
        "INSERT INTO units (id, code, name, short_name, kind, level, parent_id, path, valid_from, valid_to, search_key)
         SELECT id, code, name, short_name, kind, level, parent_id, path::ltree, valid_from, valid_to, search_key
         FROM UNNEST($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int[],
                     $8::text[], $9::date[], $10::date[], $11::text[])
              AS t(id, code, name, short_name, kind, level, parent_id, path, valid_from, valid_to, search_key)",
        &batch.id,
        &batch.code,
        &batch.name,
        &batch.short_name,
        &batch.kind,
        &batch.level,
        &batch.parent_id as _,
        &batch.path,
        &batch.valid_from as _,
        &batch.valid_to as _,
        &batch.search_key,
    )
    .execute(&mut *tx)
    .await
    .context("nạp danh mục đơn vị")?;

    let (before, after) = (&ids_by_tree[0], &ids_by_tree[1]);
    let (mut predecessors, mut successors, mut kinds, mut notes) = (vec![], vec![], vec![], vec![]);
    let mut reader = csv::Reader::from_reader(LINEAGE_2025.as_bytes());
    for row in reader.deserialize::<LineageRow>() {
        let row = row.context("đọc lineage-2025-07-01")?;
        let (Some((old, _)), Some((new, _))) = (before.get(&row.old_code), after.get(&row.new_code)) else {
            bail!("lineage: mã {} → {} (cấp {}) không có trong danh mục", row.old_code, row.new_code, row.level);
        };
        predecessors.push(*old);
        successors.push(*new);
        kinds.push(row.merge_kind);
        notes.push(row.note);
    }
    sqlx::query!(
        "INSERT INTO unit_lineage (predecessor_id, successor_id, effective_on, merge_kind, note)
         SELECT p, s, $5, k, n FROM UNNEST($1::int[], $2::int[], $3::text[], $4::text[]) AS t(p, s, k, n)
         ON CONFLICT DO NOTHING",
        &predecessors,
        &successors,
        &kinds,
        &notes,
        reform_date(),
    )
    .execute(&mut *tx)
    .await
    .context("nạp quan hệ sáp nhập")?;

    sqlx::query!("INSERT INTO reference_data (name, checksum) VALUES ('units', $1)", &checksum)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_kind_prefixes() {
        assert_eq!(short_name("Huyện Đức Trọng"), "Đức Trọng");
        assert_eq!(short_name("Thành phố Hà Nội"), "Hà Nội");
        assert_eq!(short_name("Thị trấn Liên Nghĩa"), "Liên Nghĩa");
        assert_eq!(short_name("Thị xã Hà Tiên"), "Hà Tiên");
        assert_eq!(short_name("Đặc khu Phú Quốc"), "Phú Quốc");
        assert_eq!(short_name("Thị Xã Việt Yên"), "Việt Yên");
        assert_eq!(short_name("Xã"), "Xã");
    }
}
