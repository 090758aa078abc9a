//! The history of the demo reports' statuses: which quarters end settled, which are under way
//! (drafts, late submissions, a report returned with remarks), and the moves that led there.

use super::figures::weight;
use crate::reports::Quarter;
use crate::reports::workflow::Status;
use crate::units::{Level, Unit};

/// How one report's quarter goes: its status at the end of the load, when it was sent, and
/// whether it was returned once on the way.
pub(super) struct Plan {
    /// `None`: no report at all (the unit has not even started one).
    pub(super) status: Option<Status>,
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
                0 => Status::Draft,
                1 => Status::Returned,
                2 | 3 => Status::Submitted,
                _ => Status::Accepted,
            };
            Plan {
                status: Some(status),
                sent_after_due,
                returned_once: status == Status::Returned,
                remark: RETURN_REMARK,
            }
        }
        Latest::Present { quarter: last, returned } if quarter == last => {
            let (status, sent_after_due) = if unit.code == returned {
                (Some(Status::Returned), 1)
            } else if unit.level == Level::Province {
                // The province's own report follows its communes'.
                (Some(Status::Submitted), 6)
            } else {
                match w {
                    w if w < 0.62 => (None, 0),
                    w if w < 0.72 => (Some(Status::Draft), 0),
                    // Sent late, not reviewed yet.
                    w if w < 0.92 => (Some(Status::Submitted), 3 + (w * 10.0) as i64 % 7),
                    _ => (Some(Status::Accepted), sent_after_due),
                }
            };
            Plan { status, sent_after_due, returned_once: status == Some(Status::Returned), remark: PRESENT_REMARK }
        }
        _ => Plan { status: Some(Status::Accepted), sent_after_due, returned_once: w > 1.45, remark: RETURN_REMARK },
    }
}

/// One move of a report's history: from, to, the remarks, days after it was first sent.
pub(super) type Step = (Status, Status, &'static str, i64);

impl Plan {
    /// The moves that brought the report to its status: sent, perhaps returned and sent again,
    /// then accepted (none for a draft).
    pub(super) fn steps(&self) -> Vec<Step> {
        let status = self.status.unwrap_or(Status::Draft);
        let mut steps: Vec<Step> = Vec::new();
        if status != Status::Draft {
            steps.push((Status::Draft, Status::Submitted, "", 0));
            if self.returned_once {
                steps.push((Status::Submitted, Status::Returned, self.remark, 1));
                if status != Status::Returned {
                    steps.push((Status::Returned, Status::Submitted, "", 2));
                }
            }
            if status == Status::Accepted {
                steps.push((Status::Submitted, Status::Accepted, "", 3));
            }
        }
        steps
    }
}
