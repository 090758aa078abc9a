//! Pages read as elements (`scraper`), where `contains` on the whole page could pass for the
//! wrong reason: a message drawn elsewhere than next to its field, a value typed into another
//! control, a word that happens to stand in the page's navigation.
//!
//! Forms follow one convention (`templates/macros/fields.html`): a refused control has
//! `aria-invalid="true"` and names its message in `aria-describedby`; the message is
//! `<p class="field-error" id="ID-error">`.

use scraper::{ElementRef, Html, Selector};

/// A page parsed once, read many times.
pub struct Page {
    html: Html,
}

/// One control of a form as the page draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What the control holds: an input's `value`, a text area's text, the `value` of a
    /// select's selected option (empty when none is).
    pub value: String,
    /// Marked refused (`aria-invalid="true"`).
    pub invalid: bool,
    /// The text of the `field-error` paragraph the control names in `aria-describedby`.
    pub message: Option<String>,
}

/// A form as filled on its page, then changed as a person would before sending it
/// ([`crate::common::TestApp::send`]).
#[derive(Debug, Clone)]
pub struct Filled {
    /// Where the form posts (its `action`; empty for the page's own address).
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Filled {
    /// Types `value` into control `name` (every value it had replaced: a box of a group
    /// ticked alone).
    pub fn set(self, name: &str, value: &str) -> Self {
        self.unset(name).tick(name, value)
    }

    /// The value control `name` holds (its first, for a group); panics when the form has none.
    pub fn value(&self, name: &str) -> &str {
        let found = self.fields.iter().find(|(field, _)| field == name);
        found.map(|(_, value)| value.as_str()).unwrap_or_else(|| panic!("no field {name} in {:?}", self.fields))
    }

    /// Clears control `name`: an unticked box, none of a group.
    pub fn unset(mut self, name: &str) -> Self {
        self.fields.retain(|(field, _)| field != name);
        self
    }

    /// Ticks one more box `value` of group `name`.
    pub fn tick(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// The element's text with its white space folded to single spaces.
fn text(element: ElementRef<'_>) -> String {
    element.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Page {
    pub fn parse(body: &str) -> Page {
        Page { html: Html::parse_document(body) }
    }

    /// The texts of the elements `css` selects, in page order, white space folded.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.html.select(&selector(css)).map(text).collect()
    }

    /// The value of attribute `attribute` of each element `css` selects, in page order.
    pub fn attributes(&self, css: &str, attribute: &str) -> Vec<String> {
        self.html.select(&selector(css)).filter_map(|e| e.value().attr(attribute).map(str::to_owned)).collect()
    }

    /// The fields a browser would send from the form that is, or holds, the element `id`, as
    /// the page fills them: unticked boxes, disabled controls and controls of another form
    /// (`form=` attribute) left out, a select's selected option (else its first), buttons not
    /// included.
    pub fn form_fields(&self, id: &str) -> Vec<(String, String)> {
        let wanted = selector(&format!("[id=\"{id}\"]"));
        let form = self
            .html
            .select(&selector("form"))
            .find(|form| form.value().attr("id") == Some(id) || form.select(&wanted).next().is_some())
            .unwrap_or_else(|| panic!("no form is or holds #{id}"));
        let mut fields = Vec::new();
        for control in form.select(&selector("input[name], textarea[name], select[name]")) {
            let element = control.value();
            if element.attr("form").is_some() || element.attr("disabled").is_some() {
                continue;
            }
            let value = match element.name() {
                "textarea" => control.text().collect(),
                "select" => {
                    let options: Vec<ElementRef<'_>> = control.select(&selector("option")).collect();
                    let chosen = options.iter().find(|o| o.value().attr("selected").is_some()).or(options.first());
                    chosen.and_then(|o| o.value().attr("value")).unwrap_or_default().to_owned()
                }
                _ => {
                    let kind = element.attr("type").unwrap_or_default();
                    if (kind == "checkbox" || kind == "radio") && element.attr("checked").is_none() {
                        continue;
                    }
                    element.attr("value").unwrap_or_default().to_owned()
                }
            };
            fields.push((element.attr("name").unwrap_or_default().to_owned(), value));
        }
        fields
    }

    /// The form that is, or holds, the element `id`, filled as the page fills it
    /// ([`Page::form_fields`]), with the address it posts to (empty: the page's own, which
    /// [`crate::common::TestApp::open_form`] fills in): what a person starts from.
    pub fn fill(&self, id: &str) -> Filled {
        let wanted = selector(&format!("[id=\"{id}\"]"));
        let action = self
            .html
            .select(&selector("form"))
            .find(|form| form.value().attr("id") == Some(id) || form.select(&wanted).next().is_some())
            .unwrap_or_else(|| panic!("no form is or holds #{id}"))
            .value()
            .attr("action")
            .unwrap_or_default()
            .to_owned();
        Filled { action, fields: self.form_fields(id) }
    }

    /// The messages next to the page's fields, in page order.
    pub fn field_errors(&self) -> Vec<String> {
        self.texts("p.field-error")
    }

    /// The first control named `name` (`<input>`, `<textarea>` or `<select>`); panics when the
    /// page has none, with the names it has.
    pub fn field(&self, name: &str) -> Field {
        self.control("name", name)
    }

    /// The control whose id is `id`, where a page holds several forms with fields of the same
    /// name (a directive's page: its task, target and milestone forms).
    pub fn field_with_id(&self, id: &str) -> Field {
        self.control("id", id)
    }

    fn control(&self, attribute: &str, wanted: &str) -> Field {
        const CONTROLS: &str = "input, textarea, select";
        let Some(control) = self.html.select(&selector(CONTROLS)).find(|e| e.value().attr(attribute) == Some(wanted))
        else {
            let present = self.attributes(CONTROLS, attribute);
            panic!("no field with {attribute} {wanted:?}; the page's fields: {present:?}");
        };
        let value = match control.value().name() {
            "textarea" => control.text().collect(),
            "select" => control
                .select(&selector("option[selected]"))
                .next()
                .and_then(|option| option.value().attr("value"))
                .unwrap_or_default()
                .to_owned(),
            _ => control.value().attr("value").unwrap_or_default().to_owned(),
        };
        let described: Vec<&str> =
            control.value().attr("aria-describedby").unwrap_or_default().split_whitespace().collect();
        let errors = selector("p.field-error[id]");
        let message = self
            .html
            .select(&errors)
            .find(|e| e.value().attr("id").is_some_and(|id| described.contains(&id)))
            .map(text);
        Field { value, invalid: control.value().attr("aria-invalid") == Some("true"), message }
    }
}
