//! The annual narrative's save, under optimistic locking: the first version inserted only if
//! nobody inserted one meanwhile, the stored one read and locked, and an update only over the
//! version the user opened. (Reading it for the report is [`super::annual::narrative`].)

use sqlx::PgConnection;

use super::annual::AnnualNarrative;
use crate::auth::UserId;
use crate::units::UnitId;

/// A statement writing a narrative, its parameters in the one order the INSERT and the UPDATE
/// share: the unit ($1), the year ($2), the texts ($3 to $10, then $12 to $14, the three of
/// template v3), the account writing ($11), then the statement's own (`$15`…).
macro_rules! with_texts {
    ($sql:literal, $unit_id:expr, $year:expr, $typed:expr, $by:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            $sql,
            $unit_id as UnitId,
            $year,
            $typed.ket_qua,
            $typed.han_che,
            $typed.nguyen_nhan,
            $typed.phuong_huong,
            $typed.kien_nghi,
            $typed.signer_position,
            $typed.signer_name,
            $typed.recipients,
            $by as UserId,
            $typed.uu_diem,
            $typed.bai_hoc,
            $typed.nhiem_vu,
            $($arg),*
        )
    };
}

/// Inserts version 1 of the unit's narrative for the year, written by account `by`, unless
/// one exists: a concurrent first save waits on the unique key and then inserts nothing.
/// `true` when inserted.
pub async fn insert_first(
    tx: &mut PgConnection,
    unit_id: UnitId,
    year: i32,
    typed: &AnnualNarrative,
    by: UserId,
) -> sqlx::Result<bool> {
    let done = with_texts!(
        "INSERT INTO annual_narratives (unit_id, year, ket_qua, han_che, nguyen_nhan, phuong_huong, kien_nghi,
                                        signer_position, signer_name, recipients, version, updated_by, updated_at,
                                        uu_diem, bai_hoc, nhiem_vu)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, now(), $12, $13, $14)
         ON CONFLICT (unit_id, year) DO NOTHING",
        unit_id as UnitId,
        year,
        typed,
        by,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The stored narrative, locked until the transaction ends; `None` when there is none.
pub async fn lock(tx: &mut PgConnection, unit_id: UnitId, year: i32) -> sqlx::Result<Option<AnnualNarrative>> {
    sqlx::query_as!(
        AnnualNarrative,
        "SELECT ket_qua, uu_diem, han_che, nguyen_nhan, phuong_huong, kien_nghi, bai_hoc, nhiem_vu,
                signer_position, signer_name, recipients, version
         FROM annual_narratives WHERE unit_id = $1 AND year = $2 FOR UPDATE",
        unit_id as UnitId,
        year,
    )
    .fetch_optional(tx)
    .await
}

/// Writes the texts over version `expected` (the version becomes `expected + 1`), by account
/// `by`. `true` when the stored narrative was still at `expected`.
pub async fn update(
    tx: &mut PgConnection,
    unit_id: UnitId,
    year: i32,
    typed: &AnnualNarrative,
    by: UserId,
    expected: i32,
) -> sqlx::Result<bool> {
    let done = with_texts!(
        "UPDATE annual_narratives SET
           ket_qua = $3, han_che = $4, nguyen_nhan = $5, phuong_huong = $6, kien_nghi = $7,
           signer_position = $8, signer_name = $9, recipients = $10, version = version + 1,
           updated_by = $11, updated_at = now(), uu_diem = $12, bai_hoc = $13, nhiem_vu = $14
         WHERE unit_id = $1 AND year = $2 AND version = $15",
        unit_id as UnitId,
        year,
        typed,
        by,
        expected,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
