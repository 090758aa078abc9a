//! Units for unit tests: one builder with plain defaults, so that a test names only the fields
//! it is about instead of writing every field of [`Unit`] by hand.
//! `testing::unit(Level::Commune, "30883", "Xã Vĩnh Hòa").id(7).parent(1).build()`.

use chrono::NaiveDate;

use super::{Level, Unit, UnitId, reference};

/// A unit of `level` carrying `code` and `name`, with defaults for the rest: id 1 at the root of
/// the tree (path `1`), the usual kind of its level (tỉnh, huyện, xã, thôn), its short name the
/// name without the kind ([`reference::short_name`]), in force on every date.
pub fn unit(level: Level, code: &str, name: &str) -> UnitBuilder {
    // "tỉnh", "huyện", "xã", "thôn": the level's own word, as a kind is written.
    let kind = level.short_label().to_lowercase();
    UnitBuilder {
        id: 1,
        code: code.to_owned(),
        name: name.to_owned(),
        kind,
        level,
        parent_id: None,
        valid_from: None,
        valid_to: None,
    }
}

/// A [`Unit`] under construction; [`UnitBuilder::build`] gives it.
#[derive(Debug, Clone)]
#[must_use]
pub struct UnitBuilder {
    id: i32,
    code: String,
    name: String,
    kind: String,
    level: Level,
    parent_id: Option<i32>,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
}

impl UnitBuilder {
    /// The unit's id (and so its path).
    pub fn id(mut self, id: i32) -> Self {
        self.id = id;
        self
    }

    /// The kind when it is not the usual one of the level: "thành phố", "phường", "đặc khu"…
    pub fn kind(mut self, kind: &str) -> Self {
        kind.clone_into(&mut self.kind);
        self
    }

    /// Places the unit under the unit `parent_id`, itself at the root: path `{parent_id}.{id}`.
    pub fn parent(mut self, parent_id: i32) -> Self {
        self.parent_id = Some(parent_id);
        self
    }

    /// The first day in force (`None`: since before the first official list held).
    pub fn valid_from(mut self, date: Option<NaiveDate>) -> Self {
        self.valid_from = date;
        self
    }

    /// The last day in force (`None`: still in force).
    pub fn valid_to(mut self, date: Option<NaiveDate>) -> Self {
        self.valid_to = date;
        self
    }

    /// The unit.
    pub fn build(self) -> Unit {
        let path = match self.parent_id {
            Some(parent_id) => format!("{parent_id}.{}", self.id),
            None => self.id.to_string(),
        };
        Unit {
            id: UnitId(self.id),
            code: self.code,
            short_name: reference::short_name(&self.name).to_owned(),
            name: self.name,
            kind: self.kind,
            level: self.level,
            parent_id: self.parent_id.map(UnitId),
            path,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }
}
