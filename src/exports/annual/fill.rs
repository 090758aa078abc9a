//! Filling a clause of the layout with figures: its `{placeholders}` replaced, a clause left
//! out when a figure it names has no data.

use std::collections::HashMap;

use super::{AnnualNarrative, Block, BlockSpec, ClauseSpec, Figures, HeadingStyle, Inline, LayoutSpec, goal_text};

/// Splits a template text into plain text and `{…}` placeholders.
pub(super) fn tokens(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        if start > 0 {
            out.push((false, &rest[..start]));
        }
        out.push((true, &rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

pub(super) struct Filler<'a> {
    pub(super) figures: &'a Figures,
    pub(super) layout: &'a LayoutSpec,
    pub(super) words: HashMap<&'static str, String>,
    /// The preview: a figure without data is said to be missing instead of dropping its clause.
    pub(super) preview: bool,
}

impl Filler<'_> {
    /// Fills a text; `None` when one of its figures has no data (unless `mark` says to put a
    /// note in its place).
    pub(super) fn fill(&self, text: &str, parts: Option<&[Inline]>, mark: bool) -> Option<Vec<Inline>> {
        let mut out = Vec::new();
        for (is_key, token) in tokens(text) {
            if !is_key {
                push_text(&mut out, token);
            } else if token == "parts" {
                out.extend(parts.unwrap_or(&[]).iter().cloned());
            } else if let Some(word) = self.words.get(token) {
                push_text(&mut out, word);
            } else {
                match self.figures.resolve(token, self.layout) {
                    Some((text, href)) => out.push(Inline::Figure { text, href }),
                    None if mark => {
                        out.push(Inline::Figure { text: self.figures.missing_text(token), href: String::new() })
                    }
                    None => return None,
                }
            }
        }
        Some(out)
    }

    pub(super) fn words(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (key, value) in &self.words {
            out = out.replace(&format!("{{{key}}}"), value);
        }
        out
    }

    pub(super) fn clause(&self, clause: &ClauseSpec, footnotes: &mut Vec<(usize, Vec<Inline>)>) -> Option<Vec<Inline>> {
        let mut joined: Vec<Inline> = Vec::new();
        // A part without data is left out of its list (a level without reports), also in the
        // preview.
        for part in &clause.parts {
            if let Some(filled) = self.fill(part, None, false) {
                if !joined.is_empty() {
                    push_text(&mut joined, &clause.separator);
                }
                joined.extend(filled);
            }
        }
        if !clause.parts.is_empty() && joined.is_empty() {
            if !self.preview {
                return None;
            }
            joined.push(Inline::Figure {
                text: "[chưa có số liệu của cấp nào]".to_owned(), href: String::new()
            });
        }
        let mut inlines = self.fill(&clause.text, Some(&joined), self.preview)?;
        if !clause.footnote.is_empty() {
            let mut content = Vec::new();
            for inner in &clause.footnote {
                if let Some(filled) = self.clause(inner, &mut Vec::new()) {
                    content.extend(filled);
                }
            }
            // A footnote is kept when it carries at least one figure.
            if content.iter().any(|i| matches!(i, Inline::Figure { .. })) {
                let number = footnotes.len() + 1;
                footnotes.push((number, content.clone()));
                inlines.push(Inline::Footnote { number, content });
            }
        }
        Some(inlines)
    }

    /// The body blocks and their footnotes.
    pub(super) fn body(&self, narrative: &AnnualNarrative) -> (Vec<Block>, Vec<(usize, Vec<Inline>)>) {
        let (figures, layout) = (self.figures, self.layout);
        let mut footnotes: Vec<(usize, Vec<Inline>)> = Vec::new();
        let mut blocks = Vec::new();
        for spec in &layout.blocks {
            match spec {
                BlockSpec::Heading { style, text } => {
                    blocks.push(Block::Heading { style: *style, text: self.words(text) });
                    if *style == HeadingStyle::Title
                        && let Some(note) = &figures.history_note
                    {
                        blocks.push(Block::Paragraph {
                            lead: String::new(),
                            inlines: vec![Inline::Text(note.clone())],
                            placeholder: false,
                        });
                    }
                }
                BlockSpec::Narrative { section, lead } => {
                    let text = narrative.section(section);
                    let paragraphs: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                    if paragraphs.is_empty() {
                        let name = layout.narrative_sections.get(section).cloned().unwrap_or_else(|| section.clone());
                        let placeholder = self.words(&layout.empty_narrative.replace("{section}", &name));
                        blocks.push(Block::Paragraph {
                            lead: lead.clone(),
                            inlines: vec![Inline::Text(placeholder)],
                            placeholder: true,
                        });
                    } else {
                        for (i, paragraph) in paragraphs.into_iter().enumerate() {
                            blocks.push(Block::Paragraph {
                                lead: if i == 0 { lead.clone() } else { String::new() },
                                inlines: vec![Inline::Text(paragraph.to_owned())],
                                placeholder: false,
                            });
                        }
                    }
                }
                BlockSpec::Paragraph { clauses } => {
                    let mut inlines = Vec::new();
                    for clause in clauses {
                        if let Some(filled) = self.clause(clause, &mut footnotes) {
                            for inline in filled {
                                match inline {
                                    Inline::Text(text) => push_text(&mut inlines, &text),
                                    other => inlines.push(other),
                                }
                            }
                        }
                    }
                    if !inlines.is_empty() {
                        blocks.push(Block::Paragraph { lead: String::new(), inlines, placeholder: false });
                    }
                }
                BlockSpec::Targets => {
                    let mut any = false;
                    for target in &figures.targets {
                        let Some(indicator) = figures.catalogue.indicator(&target.indicator_code) else { continue };
                        any = true;
                        let line = layout
                            .target_line
                            .replace("{name}", &indicator.name)
                            .replace("{directive}", &target.directive_number);
                        let mut inlines = Vec::new();
                        for (i, piece) in line.split("{goal}").enumerate() {
                            if i > 0 {
                                inlines.push(Inline::Figure {
                                    text: goal_text(indicator, target, layout),
                                    href: format!("/directives?q={}", target.directive_number),
                                });
                            }
                            push_text(&mut inlines, piece);
                        }
                        blocks.push(Block::Paragraph { lead: String::new(), inlines, placeholder: false });
                    }
                    if !any {
                        blocks.push(Block::Paragraph {
                            lead: String::new(),
                            inlines: vec![Inline::Text(self.words(&layout.no_targets))],
                            placeholder: true,
                        });
                    }
                }
            }
        }
        (blocks, footnotes)
    }
}

pub(super) fn push_text(out: &mut Vec<Inline>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Inline::Text(last)) = out.last_mut() {
        last.push_str(text);
    } else {
        out.push(Inline::Text(text.to_owned()));
    }
}
