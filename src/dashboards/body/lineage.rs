//! What the dashboard says about a unit's figures across the 2025 reform (see
//! [`crate::dashboards::history`]): that they are its predecessors', or theirs until 30/06/2025
//! and its own since, with each predecessor and how it counts here.

use crate::dashboards::history::{Composite, Era};
use crate::dashboards::scope::{Scope, unit_date_query};
use crate::format;

/// Where a unit's figures come from across the 2025 reform, as the page says it.
pub struct HistoryNote {
    pub text: String,
    /// (name, link, how it counts): "toàn bộ", "một phần — tính toàn bộ ở đây", "một phần —
    /// tính ở Xã Y".
    pub sources: Vec<(String, String, String)>,
    pub estimated: bool,
}

/// The note for `scope` (`None` when the unit existed for the whole period).
pub fn history_note(scope: &Scope, composite: &Composite) -> Option<HistoryNote> {
    let period = scope.period;
    let names = |counted: bool| {
        composite
            .sources
            .iter()
            .filter(|p| p.counted == counted)
            .map(|p| p.unit.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = match (composite.era, &scope.unit) {
        (Era::Own, _) => return None,
        (Era::Before, Some(unit)) => format!(
            "{} được thành lập từ 01/07/2025. Số liệu {} là số liệu của các đơn vị tiền thân: {}.",
            unit.name,
            period.label(),
            names(true)
        ),
        (Era::Spanning, Some(unit)) => format!(
            "{} gồm số liệu của các đơn vị tiền thân ({}) đến 30/06/2025 và của {} từ 01/07/2025 với các chỉ tiêu cộng dồn; \
             số liệu thời điểm (hiện có) là của các đơn vị tồn tại cuối kỳ.",
            format::capitalize(&period.label()),
            names(true),
            unit.name
        ),
        (_, None) => format!(
            "{} gồm số liệu của các tỉnh, thành phố trước sắp xếp đến 30/06/2025 và của 34 tỉnh, thành phố từ \
             01/07/2025 với các chỉ tiêu cộng dồn; số liệu thời điểm (hiện có) là của các đơn vị tồn tại cuối kỳ.",
            format::capitalize(&period.label())
        ),
    };
    let sources = composite
        .sources
        .iter()
        .map(|p| {
            let how = match (p.counted, p.is_split()) {
                (true, false) => "Nhập toàn bộ".to_owned(),
                (true, true) => format!(
                    "Một phần (phần còn lại nay thuộc {}): số liệu tính toàn bộ ở đây, là số ước tính",
                    p.shared_with.join(", ")
                ),
                (false, _) => format!("Một phần: số liệu tính ở {}, không cộng vào đây", p.counted_in),
            };
            (
                p.unit.dated_name(),
                format!("/dashboards/{}?period={}{}", p.unit.code, period.code(), unit_date_query(&p.unit, period)),
                how,
            )
        })
        .collect();
    Some(HistoryNote { text, sources, estimated: composite.estimated() })
}
