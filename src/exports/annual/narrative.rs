//! The office's own words for the year (achievements, shortcomings, lessons, next year's
//! tasks), stored per unit and year.

use crate::units::UnitId;
use sqlx::PgPool;

/// The narrative sections of the annual report, with the editable signature and recipients,
/// as stored in `annual_narratives`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AnnualNarrative {
    pub ket_qua: String,
    /// Ưu điểm, the first part of "II- Nhận xét chung" (template v3).
    pub uu_diem: String,
    pub han_che: String,
    pub nguyen_nhan: String,
    pub phuong_huong: String,
    pub kien_nghi: String,
    /// Bài học kinh nghiệm (template v3).
    pub bai_hoc: String,
    /// Nhiệm vụ, giải pháp cụ thể of next year (template v3).
    pub nhiem_vu: String,
    pub signer_position: String,
    pub signer_name: String,
    pub recipients: String,
    pub version: i32,
}

impl AnnualNarrative {
    pub fn section(&self, name: &str) -> &str {
        match name {
            "ket_qua" => &self.ket_qua,
            "uu_diem" => &self.uu_diem,
            "han_che" => &self.han_che,
            "nguyen_nhan" => &self.nguyen_nhan,
            "phuong_huong" => &self.phuong_huong,
            "kien_nghi" => &self.kien_nghi,
            "bai_hoc" => &self.bai_hoc,
            "nhiem_vu" => &self.nhiem_vu,
            _ => "",
        }
    }
}

/// The unit's narrative for the year; `None` before its first save.
pub async fn narrative(pool: &PgPool, unit_id: UnitId, year: i32) -> sqlx::Result<Option<AnnualNarrative>> {
    sqlx::query_as!(
        AnnualNarrative,
        "SELECT ket_qua, uu_diem, han_che, nguyen_nhan, phuong_huong, kien_nghi, bai_hoc, nhiem_vu,
                signer_position, signer_name, recipients, version
         FROM annual_narratives WHERE unit_id = $1 AND year = $2",
        unit_id as UnitId,
        year,
    )
    .fetch_optional(pool)
    .await
}
