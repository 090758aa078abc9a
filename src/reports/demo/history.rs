//! The history of the demo reports' statuses: which quarters end settled, which are under way
//! (drafts, late submissions, a report returned with remarks), and the moves that led there.

use super::figures::weight;
use crate::reports::Quarter;
use crate::units::{Level, Unit};

/// How one report's quarter goes: its status at the end of the load, when it was sent, and
/// whether it was returned once on the way.
pub(super) struct Plan {
    /// `None`: no report at all (the unit has not even started one).
    pub(super) status: Option<&'static str>,
    /// Days after the due date the report was first sent (negative: before).
    pub(super) sent_after_due: i64,
    pub(super) returned_once: bool,
    pub(super) remark: &'static str,
}

/// How the quarters of a load end.
#[derive(Clone, Copy)]
pub(super) enum Latest {
    /// Every quarter is settled (accepted, a few after a return).
    Settled,
    /// Seed 002's Kiên Giang: the last quarter loaded is a mix of states.
    Mixed(Quarter),
    /// Today's province: the last finished quarter is under way — most communes accepted,
    /// some submitted late and waiting, some still drafting, some without any report, and one
    /// (`returned`) sent back with remarks.
    Present { quarter: Quarter, returned: &'static str },
}

pub(super) const RETURN_REMARK: &str = "Đề nghị rà soát lại số đơn đã giải quyết và số cuộc giám sát.";
pub(super) const PRESENT_REMARK: &str = "Số hội viên Hội Nông dân phát triển mới chưa khớp với biểu tổng hợp của Ủy ban MTTQ \
                              xã; đề nghị rà soát, bổ sung số cuộc đối thoại với Nhân dân và gửi lại trong 05 ngày \
                              làm việc.";

pub(super) fn plan_for(unit: &Unit, quarter: Quarter, latest: Latest) -> Plan {
    let w = weight(unit.id, (quarter.year() as u64) * 10 + u64::from(quarter.number()));
    let sent_after_due = if w > 1.35 { (w * 10.0) as i64 - 10 } else { -((w * 4.0) as i64) };
    match latest {
        Latest::Mixed(last) if quarter == last => {
            // The latest quarter is still under way: a mix of states.
            let status = match (w * 10.0) as i64 % 5 {
                0 => "nhap",
                1 => "tra_lai",
                2 | 3 => "da_gui",
                _ => "da_duyet",
            };
            Plan { status: Some(status), sent_after_due, returned_once: status == "tra_lai", remark: RETURN_REMARK }
        }
        Latest::Present { quarter: last, returned } if quarter == last => {
            let (status, sent_after_due) = if unit.code == returned {
                (Some("tra_lai"), 1)
            } else if unit.level == Level::Province {
                // The province's own report follows its communes'.
                (Some("da_gui"), 6)
            } else {
                match w {
                    w if w < 0.62 => (None, 0),
                    w if w < 0.72 => (Some("nhap"), 0),
                    // Sent late, not reviewed yet.
                    w if w < 0.92 => (Some("da_gui"), 3 + (w * 10.0) as i64 % 7),
                    _ => (Some("da_duyet"), sent_after_due),
                }
            };
            Plan { status, sent_after_due, returned_once: status == Some("tra_lai"), remark: PRESENT_REMARK }
        }
        _ => Plan { status: Some("da_duyet"), sent_after_due, returned_once: w > 1.45, remark: RETURN_REMARK },
    }
}

/// One move of a report's history: from, to, the remarks, days after it was first sent.
pub(super) type Step = (&'static str, &'static str, &'static str, i64);

impl Plan {
    /// The moves that brought the report to its status: sent, perhaps returned and sent again,
    /// then accepted (none for a draft).
    pub(super) fn steps(&self) -> Vec<Step> {
        let status = self.status.unwrap_or("nhap");
        let mut steps: Vec<Step> = Vec::new();
        if status != "nhap" {
            steps.push(("nhap", "da_gui", "", 0));
            if self.returned_once {
                steps.push(("da_gui", "tra_lai", self.remark, 1));
                if status != "tra_lai" {
                    steps.push(("tra_lai", "da_gui", "", 2));
                }
            }
            if status == "da_duyet" {
                steps.push(("da_gui", "da_duyet", "", 3));
            }
        }
        steps
    }
}
