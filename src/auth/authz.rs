//! Authorization in one place: may this user do this action on this unit? Every handler that
//! touches a unit's data asks [`can`] or [`authorize`].

use crate::error::AppError;
use crate::units::Level;

use super::{CurrentUser, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read a unit's reports, figures and dashboards.
    ViewData,
    /// Enter and submit the unit's own report.
    EnterReport,
    /// Return or accept the report of a unit directly below.
    ReviewReport,
    /// Create, edit and deactivate the accounts of a subtree.
    ManageUsers,
    /// Read the audit log of a subtree.
    ViewAudit,
    /// Keep a unit's own records: its office (the heading and signature of its documents), its
    /// hamlets, its annual narrative. Administrators of a subtree of today: unlike accounts,
    /// the records of the units before the reform are history, read-only.
    AdministerUnit,
    /// Create or change a directive issued by the unit (None: a central document), with its
    /// tasks, targets, milestones, attachments and links.
    EditDirective,
    /// Edit the indicator catalogue (organisations, sections, data elements, indicators, rules):
    /// national and province administrators only, whatever the target.
    EditCatalogue,
}

/// Where a unit sits in the tree, as far as authorization cares. `path` is the unit's `ltree`
/// path of ids ("12.345.6789").
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub id: crate::units::UnitId,
    pub parent_id: Option<crate::units::UnitId>,
    pub path: &'a str,
}

impl<'a> From<&'a crate::units::Unit> for Place<'a> {
    fn from(unit: &'a crate::units::Unit) -> Self {
        Place { id: unit.id, parent_id: unit.parent_id, path: &unit.path }
    }
}

impl<'a> From<&'a super::UnitScope> for Place<'a> {
    fn from(unit: &'a super::UnitScope) -> Self {
        Place { id: unit.id, parent_id: unit.parent_id, path: &unit.path }
    }
}

/// `path` is `root` or lies below it.
fn under(path: &str, root: &str) -> bool {
    path == root || path.strip_prefix(root).is_some_and(|rest| rest.starts_with('.'))
}

/// Whether `target` (None: the whole country) lies in the subtree of the user's unit.
fn within(user: &CurrentUser, target: Option<Place<'_>>) -> bool {
    match (&user.unit, target) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(own), Some(target)) => under(target.path, &own.path),
    }
}

/// The history of the user's unit before the 2025 reform: `target` is one of the units it was
/// formed from (`subtree`: or lies below one).
fn in_history(user: &CurrentUser, target: Option<Place<'_>>, subtree: bool) -> bool {
    match (&user.unit, target) {
        (Some(own), Some(target)) => {
            own.history.iter().any(|old| target.path == old.as_str() || (subtree && under(target.path, old)))
        }
        _ => false,
    }
}

/// Directly below one of the units the user's unit was formed from.
fn directly_below_history(user: &CurrentUser, target: Option<Place<'_>>) -> bool {
    match (&user.unit, target) {
        (Some(own), Some(target)) => own.history.iter().any(|old| {
            target
                .path
                .strip_prefix(old.as_str())
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| !rest.contains('.'))
        }),
        _ => false,
    }
}

fn is_own(user: &CurrentUser, target: Option<Place<'_>>) -> bool {
    match (&user.unit, target) {
        (None, None) => true,
        (Some(own), Some(target)) => own.id == target.id,
        _ => false,
    }
}

/// A hamlet (thôn, tổ dân phố) of the user's commune: the commune office enters its figures.
fn is_own_hamlet(user: &CurrentUser, target: Option<Place<'_>>) -> bool {
    match (&user.unit, target) {
        (Some(own), Some(target)) => own.level == Level::Commune && target.parent_id == Some(own.id),
        _ => false,
    }
}

fn is_directly_below(user: &CurrentUser, target: Option<Place<'_>>) -> bool {
    match (&user.unit, target) {
        (None, Some(target)) => target.parent_id.is_none(),
        (Some(own), Some(target)) => target.parent_id == Some(own.id),
        _ => false,
    }
}

/// The one authorization rule of the app. Across the 2025 reform, a unit's staff read the
/// history of the units it was formed from as they read their own (data entry: the old units
/// themselves; reviewers: and the units directly below them; leaders and administrators: their
/// subtrees), and never write it: every other action looks at today's unit only.
pub fn can(user: &CurrentUser, action: Action, target: Option<Place<'_>>) -> bool {
    match action {
        Action::ViewData => {
            (user.has(Role::DataEntry)
                && (is_own(user, target) || is_own_hamlet(user, target) || in_history(user, target, false)))
                || (user.has(Role::Reviewer)
                    && (is_own(user, target)
                        || is_directly_below(user, target)
                        || in_history(user, target, false)
                        || directly_below_history(user, target)))
                || ((user.has(Role::Leader) || user.has(Role::Admin))
                    && (within(user, target) || in_history(user, target, true)))
        }
        Action::EnterReport => user.has(Role::DataEntry) && (is_own(user, target) || is_own_hamlet(user, target)),
        Action::ReviewReport => user.has(Role::Reviewer) && is_directly_below(user, target),
        // An administrator of today's unit also manages the accounts left on the old units it
        // was formed from (to move them to units of today).
        Action::ManageUsers | Action::ViewAudit => {
            user.has(Role::Admin) && (within(user, target) || in_history(user, target, true))
        }
        Action::AdministerUnit => user.has(Role::Admin) && within(user, target),
        // Administrators of a subtree holding the issuing unit, and the issuing office itself.
        Action::EditDirective => {
            (user.has(Role::Admin) && within(user, target)) || (user.has(Role::DataEntry) && is_own(user, target))
        }
        Action::EditCatalogue => {
            user.has(Role::Admin) && user.unit.as_ref().is_none_or(|own| own.level == Level::Province)
        }
    }
}

/// [`can`], as a 403 for the handler to return.
pub fn authorize(user: &CurrentUser, action: Action, target: Option<Place<'_>>) -> Result<(), AppError> {
    if can(user, action, target) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// [`can`], as a 404 where even the existence of the data must not leak.
pub fn authorize_or_hide(user: &CurrentUser, action: Action, target: Option<Place<'_>>) -> Result<(), AppError> {
    if can(user, action, target) { Ok(()) } else { Err(AppError::NotFound) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::UnitScope;
    use crate::units::UnitId;

    fn scope(id: i32, parent_id: Option<i32>, path: &str) -> UnitScope {
        UnitScope {
            id: UnitId(id),
            code: id.to_string(),
            name: format!("Đơn vị {id}"),
            level: Level::Province,
            parent_id: parent_id.map(UnitId),
            path: path.into(),
            history: Vec::new(),
        }
    }

    fn user(roles: &[Role], unit: Option<UnitScope>) -> CurrentUser {
        CurrentUser {
            via_token: None,
            id: crate::auth::UserId(1),
            username: "u".into(),
            full_name: "U".into(),
            roles: roles.to_vec(),
            unit,
            token_hash: vec![],
        }
    }

    // Province 1 > district 2 > communes 3 and 4; district 5 > commune 6; and 12 (path "12")
    // must not count as inside 1.
    fn place(id: i32) -> Place<'static> {
        match id {
            1 => Place { id: UnitId(1), parent_id: None, path: "1" },
            2 => Place { id: UnitId(2), parent_id: Some(UnitId(1)), path: "1.2" },
            3 => Place { id: UnitId(3), parent_id: Some(UnitId(2)), path: "1.2.3" },
            4 => Place { id: UnitId(4), parent_id: Some(UnitId(2)), path: "1.2.4" },
            5 => Place { id: UnitId(5), parent_id: Some(UnitId(1)), path: "1.5" },
            6 => Place { id: UnitId(6), parent_id: Some(UnitId(5)), path: "1.5.6" },
            _ => Place { id: UnitId(12), parent_id: None, path: "12" },
        }
    }

    #[test]
    fn commune_staff_see_and_enter_only_their_commune() {
        let staff = user(&[Role::DataEntry], Some(scope(3, Some(2), "1.2.3")));
        assert!(can(&staff, Action::ViewData, Some(place(3))));
        assert!(can(&staff, Action::EnterReport, Some(place(3))));
        for other in [1, 2, 4, 6, 12] {
            assert!(!can(&staff, Action::ViewData, Some(place(other))), "{other}");
            assert!(!can(&staff, Action::EnterReport, Some(place(other))), "{other}");
        }
        assert!(!can(&staff, Action::ViewData, None));
    }

    #[test]
    fn reviewers_review_the_units_directly_below() {
        let reviewer = user(&[Role::Reviewer], Some(scope(2, Some(1), "1.2")));
        assert!(can(&reviewer, Action::ReviewReport, Some(place(3))));
        assert!(can(&reviewer, Action::ReviewReport, Some(place(4))));
        assert!(!can(&reviewer, Action::ReviewReport, Some(place(2))), "not its own report");
        assert!(!can(&reviewer, Action::ReviewReport, Some(place(6))), "not another district's commune");
        assert!(!can(&reviewer, Action::EnterReport, Some(place(2))));
        let national = user(&[Role::Reviewer], None);
        assert!(can(&national, Action::ReviewReport, Some(place(1))));
        assert!(!can(&national, Action::ReviewReport, Some(place(2))));
    }

    #[test]
    fn leaders_and_admins_read_their_subtree_only() {
        let leader = user(&[Role::Leader], Some(scope(1, None, "1")));
        for inside in [1, 2, 3, 6] {
            assert!(can(&leader, Action::ViewData, Some(place(inside))), "{inside}");
        }
        assert!(!can(&leader, Action::ViewData, Some(place(12))), "path prefix is not a subtree");
        assert!(!can(&leader, Action::EnterReport, Some(place(1))));
        assert!(!can(&leader, Action::ManageUsers, Some(place(2))));

        let district_admin = user(&[Role::Admin], Some(scope(5, Some(1), "1.5")));
        assert!(can(&district_admin, Action::ManageUsers, Some(place(6))));
        assert!(!can(&district_admin, Action::ManageUsers, Some(place(3))));
        assert!(!can(&district_admin, Action::ManageUsers, Some(place(1))));
        assert!(!can(&district_admin, Action::ManageUsers, None), "cannot make national accounts");
        let national_admin = user(&[Role::Admin], None);
        assert!(can(&national_admin, Action::ManageUsers, None));
        assert!(can(&national_admin, Action::ViewAudit, Some(place(12))));
    }

    #[test]
    fn directives_are_edited_by_subtree_admins_and_the_issuing_office() {
        let commune_staff = user(&[Role::DataEntry], Some(scope(3, Some(2), "1.2.3")));
        assert!(can(&commune_staff, Action::EditDirective, Some(place(3))));
        assert!(!can(&commune_staff, Action::EditDirective, Some(place(1))), "not the province's documents");
        assert!(!can(&commune_staff, Action::EditDirective, None));
        let province_staff = user(&[Role::DataEntry], Some(scope(1, None, "1")));
        assert!(can(&province_staff, Action::EditDirective, Some(place(1))));
        assert!(!can(&province_staff, Action::EditDirective, Some(place(2))), "data entry is for its own unit");
        let leader = user(&[Role::Leader, Role::Reviewer], Some(scope(1, None, "1")));
        assert!(!can(&leader, Action::EditDirective, Some(place(1))));
        let district_admin = user(&[Role::Admin], Some(scope(2, Some(1), "1.2")));
        assert!(can(&district_admin, Action::EditDirective, Some(place(2))));
        assert!(can(&district_admin, Action::EditDirective, Some(place(3))));
        assert!(!can(&district_admin, Action::EditDirective, Some(place(1))));
        assert!(!can(&district_admin, Action::EditDirective, None), "central documents are national");
        let national_admin = user(&[Role::Admin], None);
        assert!(can(&national_admin, Action::EditDirective, None));
        assert!(can(&national_admin, Action::EditDirective, Some(place(6))));
    }

    #[test]
    fn only_national_and_province_admins_edit_the_catalogue() {
        let national = user(&[Role::Admin], None);
        assert!(can(&national, Action::EditCatalogue, None));
        let province = user(&[Role::Admin], Some(scope(1, None, "1")));
        assert!(can(&province, Action::EditCatalogue, None));
        let mut district_scope = scope(2, Some(1), "1.2");
        district_scope.level = Level::District;
        assert!(!can(&user(&[Role::Admin], Some(district_scope)), Action::EditCatalogue, None));
        let mut commune_scope = scope(3, Some(2), "1.2.3");
        commune_scope.level = Level::Commune;
        assert!(!can(&user(&[Role::Admin], Some(commune_scope)), Action::EditCatalogue, None));
        let all_but_admin = [Role::DataEntry, Role::Reviewer, Role::Leader];
        assert!(!can(&user(&all_but_admin, None), Action::EditCatalogue, None), "national, but not an admin");
        assert!(!can(&user(&all_but_admin, Some(scope(1, None, "1"))), Action::EditCatalogue, None));
    }

    #[test]
    fn successors_read_their_predecessors_history_and_never_write_it() {
        // Today's province 20 was formed from the old provinces 1 and 12; today's commune 21
        // from the old commune 3.
        let mut province = scope(20, None, "20");
        province.history = vec!["1".into(), "12".into()];
        let mut commune = scope(21, Some(20), "20.21");
        commune.history = vec!["1.2.3".into()];
        let leader = user(&[Role::Leader], Some(province.clone()));
        for old in [1, 2, 3, 6, 12] {
            assert!(can(&leader, Action::ViewData, Some(place(old))), "{old}");
        }
        let reviewer = user(&[Role::Reviewer], Some(province.clone()));
        assert!(can(&reviewer, Action::ViewData, Some(place(1))));
        assert!(can(&reviewer, Action::ViewData, Some(place(2))), "directly below an old province");
        assert!(!can(&reviewer, Action::ViewData, Some(place(3))), "two levels below");
        assert!(!can(&reviewer, Action::ReviewReport, Some(place(2))), "history is read-only");
        let staff = user(&[Role::DataEntry], Some(commune.clone()));
        assert!(can(&staff, Action::ViewData, Some(place(3))));
        assert!(!can(&staff, Action::ViewData, Some(place(4))), "a neighbour of the old commune");
        assert!(!can(&staff, Action::EnterReport, Some(place(3))), "nobody edits an old report through a successor");
        let admin = user(&[Role::Admin], Some(province));
        assert!(can(&admin, Action::ManageUsers, Some(place(2))), "moves the accounts left on old units");
        assert!(!can(&admin, Action::AdministerUnit, Some(place(1))), "nor the old province's office or narrative");
        let today = Place { id: UnitId(21), parent_id: Some(UnitId(20)), path: "20.21" };
        assert!(can(&admin, Action::AdministerUnit, Some(today)), "its own subtree of today");
        assert!(!can(&admin, Action::EnterReport, Some(place(1))));
        let other = user(&[Role::Leader], Some(scope(30, None, "30")));
        assert!(!can(&other, Action::ViewData, Some(place(1))));
    }

    #[test]
    fn a_commune_office_enters_its_hamlets_figures() {
        let mut commune = scope(3, Some(2), "1.2.3");
        commune.level = Level::Commune;
        let staff = user(&[Role::DataEntry], Some(commune));
        let hamlet = Place { id: UnitId(30), parent_id: Some(UnitId(3)), path: "1.2.3.30" };
        let elsewhere = Place { id: UnitId(40), parent_id: Some(UnitId(4)), path: "1.2.4.40" };
        assert!(can(&staff, Action::EnterReport, Some(hamlet)));
        assert!(can(&staff, Action::ViewData, Some(hamlet)));
        assert!(!can(&staff, Action::EnterReport, Some(elsewhere)));
        let mut district = scope(2, Some(1), "1.2");
        district.level = Level::District;
        let district_staff = user(&[Role::DataEntry], Some(district));
        assert!(!can(&district_staff, Action::EnterReport, Some(place(3))), "a district does not enter its communes'");
    }
}
