//! Pages of this concept (filled in by the catalogue and directives work).

use crate::web::routes::RouteSpec;

pub fn routes() -> Vec<RouteSpec> {
    Vec::new()
}
