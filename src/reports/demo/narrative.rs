//! What the demo reports say in words: the results, the shortcomings and the directions for
//! the next quarter.

use crate::reports::Quarter;
use crate::units::Unit;

/// "Kết quả": the quarter's work in one paragraph, naming the unit.
pub(super) fn results(unit: &Unit, quarter: Quarter) -> String {
    format!(
        "Trong {}, {} tiếp tục triển khai công tác dân vận theo chương trình năm; Mặt trận và các đoàn thể \
         phát triển đoàn viên, hội viên, tổ chức tiếp dân, đối thoại và giám sát theo kế hoạch.",
        quarter.label(),
        unit.name
    )
}

/// "Hạn chế".
pub(super) const SHORTCOMINGS: &str = "Chất lượng sinh hoạt chi hội ở một số địa bàn dân cư còn hạn chế.";

/// "Phương hướng quý tới".
pub(super) const DIRECTIONS: &str = "Tiếp tục phát triển đoàn viên, hội viên; nâng chất lượng đối thoại với Nhân dân.";
