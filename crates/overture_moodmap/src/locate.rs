//! Finding a field of a mood map in its RON source, so that errors found
//! after deserialization can point at a line and column.
//!
//! serde does not tell where a value came from, so the source is scanned
//! into a few kinds of tokens (brackets, commas, colons, strings,
//! identifiers; comments skipped) and a path such as `moods."combat".tempo`
//! is followed through the nesting. This is not a RON parser: it only has
//! to find things in a file that ron has already accepted.

use crate::error::Location;

/// One step of a path into the map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    /// A struct field: `tempo: …`.
    Field(&'static str),
    /// The `n`-th (0-based) occurrence of a map key `"name": …`.
    Key(String, usize),
    /// An element of a list.
    Index(usize),
}

#[cfg(test)]
impl Seg {
    pub(crate) fn key(name: &str) -> Seg {
        Seg::Key(name.to_string(), 0)
    }
}

/// The field path written for people: `moods.combat.tempo`, `rules[2].when`.
pub(crate) fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Field(name) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(name);
            }
            Seg::Key(name, _) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(name);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    Comma,
    Colon,
    Str,
    Ident,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Where a path led: the byte offset of its last step (a field name, a
/// key, a list element) and of the value after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    /// The field name, key string or element.
    pub anchor: usize,
    /// The value (after the colon, for fields and keys).
    pub value: usize,
    /// Whether the whole path was found (otherwise this is its deepest
    /// step that was).
    pub complete: bool,
}

/// A scanned source.
pub(crate) struct Locator<'a> {
    src: &'a str,
    toks: Vec<Tok>,
    /// For each token, the index of its matching close (for opens).
    close: Vec<usize>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        let toks = tokenize(src);
        let mut close = vec![toks.len(); toks.len()];
        let mut stack = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            match t.kind {
                Kind::Open => stack.push(i),
                Kind::Close => {
                    if let Some(o) = stack.pop() {
                        close[o] = i;
                    }
                }
                _ => {}
            }
        }
        Self { src, toks, close }
    }

    /// The line and column of byte offset `at`.
    pub(crate) fn location(&self, at: usize) -> Location {
        location_of(self.src, at)
    }

    /// Follows `path` from the top-level value.
    pub(crate) fn find(&self, path: &[Seg]) -> Option<Found> {
        let mut value = self.top_value()?;
        let mut found = Found {
            anchor: self.toks[value].start,
            value: self.toks[value].start,
            complete: path.is_empty(),
        };
        for (depth, seg) in path.iter().enumerate() {
            let Some((lo, hi)) = self.contents(value) else {
                return Some(found);
            };
            let step = match seg {
                Seg::Field(name) => self.find_entry(lo, hi, 0, |t| {
                    t.kind == Kind::Ident && &self.src[t.start..t.end] == *name
                }),
                Seg::Key(name, nth) => self.find_entry(lo, hi, *nth, |t| {
                    t.kind == Kind::Str && self.string_content(t) == name.as_str()
                }),
                Seg::Index(i) => self.find_element(lo, hi, *i),
            };
            let Some((anchor, v)) = step else {
                return Some(found);
            };
            value = v;
            found = Found {
                anchor: self.toks[anchor].start,
                value: self.toks[v].start,
                complete: depth + 1 == path.len(),
            };
        }
        Some(found)
    }

    /// The path of the field whose value holds byte offset `at`, written
    /// like [`path_string`]: `moods.combat.layers` for an offset inside the
    /// combat mood's layers. Used to name the field of a syntax error.
    pub(crate) fn path_at(&self, at: usize) -> String {
        let mut path = String::new();
        let Some(mut value) = self.top_value() else {
            return path;
        };
        while let Some((lo, hi)) = self.contents(value) {
            let open = if self.toks[value].kind == Kind::Open {
                value
            } else {
                value + 1
            };
            let is_list = self.src.as_bytes()[self.toks[open].start] == b'[';
            // The entry of the group that `at` falls in: its label, where
            // its value starts, and the group token inside it, if any.
            let mut label: Option<String> = None;
            let mut value_from = usize::MAX;
            let mut index = 0;
            let mut inner = None;
            let idx: Vec<usize> = self.top_level(lo, hi).collect();
            for (n, &i) in idx.iter().enumerate() {
                let t = self.toks[i];
                if t.start >= at && !(t.kind == Kind::Open && t.start == at) {
                    break;
                }
                match t.kind {
                    Kind::Comma => {
                        index += 1;
                        label = None;
                        value_from = usize::MAX;
                        if is_list {
                            label = Some(format!("[{index}]"));
                            value_from = t.end;
                        }
                        continue;
                    }
                    Kind::Colon if n > 0 => {
                        let name = self.toks[idx[n - 1]];
                        label = Some(match name.kind {
                            Kind::Str => self.string_content(&name).to_string(),
                            _ => self.src[name.start..name.end].to_string(),
                        });
                        value_from = t.end;
                    }
                    _ => {}
                }
                if is_list && n == 0 {
                    label = Some("[0]".into());
                    value_from = t.start;
                }
                let close = self.close[i].min(self.toks.len());
                let group_end = self.toks.get(close).map_or(self.src.len(), |c| c.end);
                if t.kind == Kind::Open && at > t.start && at < group_end {
                    inner = Some(if n > 0 && self.toks[idx[n - 1]].kind == Kind::Ident {
                        idx[n - 1]
                    } else {
                        i
                    });
                }
            }
            // At the group's closing bracket, `at` is in the group itself.
            let at_close = self.toks.get(hi).is_some_and(|c| at >= c.start);
            let Some(label) = label.filter(|_| at >= value_from && !at_close) else {
                break;
            };
            if !label.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(&label);
            match inner {
                Some(v) => value = v,
                None => break,
            }
        }
        path
    }

    /// The byte offset of the first character inside the string literal
    /// that starts at `at`, if one does.
    pub(crate) fn string_content_start(&self, at: usize) -> Option<usize> {
        let t = self.toks.iter().find(|t| t.start == at)?;
        if t.kind != Kind::Str {
            return None;
        }
        let text = &self.src[t.start..t.end];
        let hashes = text
            .strip_prefix('r')
            .map(|r| r.len() - r.trim_start_matches('#').len());
        Some(match hashes {
            Some(h) => t.start + 1 + h + 1,
            None => t.start + 1,
        })
    }

    /// The first value in the file, after any `#![enable(...)]` attributes.
    fn top_value(&self) -> Option<usize> {
        let mut i = 0;
        while i < self.toks.len() {
            let t = self.toks[i];
            if t.kind == Kind::Other && &self.src[t.start..t.end] == "#" {
                // `#![ … ]`: skip to the bracket and past its group.
                let mut j = i + 1;
                while j < self.toks.len() && self.toks[j].kind == Kind::Other {
                    j += 1;
                }
                if j < self.toks.len() && self.toks[j].kind == Kind::Open {
                    i = self.close[j].saturating_add(1);
                } else {
                    i = j;
                }
                continue;
            }
            return Some(i);
        }
        None
    }

    /// The token range inside the group that the value at `value` opens:
    /// `( … )`, `[ … ]`, `{ … }`, or `Name( … )`.
    fn contents(&self, value: usize) -> Option<(usize, usize)> {
        let mut open = value;
        if self.toks.get(open)?.kind == Kind::Ident {
            open += 1;
        }
        if self.toks.get(open)?.kind != Kind::Open {
            return None;
        }
        Some((open + 1, self.close[open].min(self.toks.len())))
    }

    /// Indices of the tokens at nesting depth 0 within `lo..hi`.
    fn top_level(&self, lo: usize, hi: usize) -> impl Iterator<Item = usize> + '_ {
        let mut i = lo;
        std::iter::from_fn(move || {
            if i >= hi {
                return None;
            }
            let here = i;
            i = if self.toks[here].kind == Kind::Open {
                self.close[here].saturating_add(1)
            } else {
                here + 1
            };
            Some(here)
        })
    }

    /// The `nth` entry `name: value` in `lo..hi` whose name matches.
    fn find_entry(
        &self,
        lo: usize,
        hi: usize,
        nth: usize,
        is_name: impl Fn(&Tok) -> bool,
    ) -> Option<(usize, usize)> {
        let idx: Vec<usize> = self.top_level(lo, hi).collect();
        let mut seen = 0;
        for w in idx.windows(3) {
            let (name, colon, value) = (w[0], w[1], w[2]);
            if is_name(&self.toks[name]) && self.toks[colon].kind == Kind::Colon {
                if seen == nth {
                    return Some((name, value));
                }
                seen += 1;
            }
        }
        None
    }

    /// The `index`-th element of the list in `lo..hi`.
    fn find_element(&self, lo: usize, hi: usize, index: usize) -> Option<(usize, usize)> {
        let mut commas = 0;
        let mut start = true;
        for i in self.top_level(lo, hi) {
            let t = self.toks[i];
            if t.kind == Kind::Comma {
                commas += 1;
                start = true;
                continue;
            }
            if start && commas == index {
                return Some((i, i));
            }
            start = false;
        }
        None
    }

    fn string_content(&self, t: &Tok) -> &str {
        let text = &self.src[t.start..t.end];
        let body = match text.strip_prefix('r') {
            Some(raw) => raw.trim_matches('#'),
            None => text,
        };
        let body = body.strip_prefix('"').unwrap_or(body);
        body.strip_suffix('"').unwrap_or(body)
    }
}

/// The line and column of byte offset `at` in `src` (clamped to the end,
/// and back to a character boundary).
pub(crate) fn location_of(src: &str, at: usize) -> Location {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = 1 + before[line_start..].chars().count();
    let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Location {
        line: small(line),
        column: small(column),
    }
}

/// The byte offset of a 1-based line and column (clamped to the source).
pub(crate) fn offset_of(src: &str, loc: Location) -> usize {
    let mut offset = 0;
    for _ in 1..loc.line {
        match src[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return src.len(),
        }
    }
    let line_end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
    src[offset..line_end]
        .char_indices()
        .nth((loc.column as usize).saturating_sub(1))
        .map_or(line_end, |(i, _)| offset + i)
}

/// The offset of the first character at or after `at` that is not
/// whitespace or inside a comment.
pub(crate) fn skip_blank(src: &str, at: usize) -> usize {
    let b = src.as_bytes();
    let mut i = at.min(b.len());
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => i = skip_line_comment(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i),
            _ => break,
        }
    }
    i
}

/// A short excerpt of the source at `at`, for `found …` in messages.
pub(crate) fn snippet(src: &str, at: usize) -> String {
    let mut at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let rest = &src[at..];
    let Some(first) = rest.chars().next() else {
        return "the end of the file".into();
    };
    let word: String = if first.is_alphanumeric() || matches!(first, '_' | '-' | '.' | '"') {
        let mut in_string = first == '"';
        rest.chars()
            .enumerate()
            .take_while(|&(i, c)| {
                if in_string {
                    if i > 0 && c == '"' {
                        in_string = false;
                    }
                    return true;
                }
                c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"')
            })
            .map(|(_, c)| c)
            .take(40)
            .collect()
    } else {
        first.to_string()
    };
    format!("`{word}`")
}

fn skip_line_comment(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && b[j] != b'\n' {
        j += 1;
    }
    j
}

fn skip_block_comment(b: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                break;
            }
        } else {
            j += 1;
        }
    }
    j.min(b.len())
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn tokenize(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = skip_line_comment(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                Kind::Open
            }
            b')' | b']' | b'}' => {
                i += 1;
                Kind::Close
            }
            b',' => {
                i += 1;
                Kind::Comma
            }
            b':' => {
                i += 1;
                Kind::Colon
            }
            b'"' => {
                i = end_of_string(b, i + 1);
                Kind::Str
            }
            b'r' if raw_string_hashes(b, i).is_some() => {
                let hashes = raw_string_hashes(b, i).unwrap_or(0);
                i = end_of_raw_string(b, i + 2 + hashes, hashes);
                Kind::Str
            }
            c if is_ident_start(c) => {
                // `r#name` is a raw identifier.
                if c == b'r' && b.get(i + 1) == Some(&b'#') {
                    i += 2;
                }
                while i < b.len() && is_ident_char(b[i]) {
                    i += 1;
                }
                Kind::Ident
            }
            _ => {
                // One whole character, so that token bounds stay on
                // character boundaries.
                i += src
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                Kind::Other
            }
        };
        toks.push(Tok {
            kind,
            start,
            end: i.min(b.len()),
        });
    }
    toks
}

/// The offset just past the closing quote of a string whose body starts at `i`.
fn end_of_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// For `r"…"` or `r#"…"#` at `i`: the number of hashes.
fn raw_string_hashes(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && b[j] == b'#' {
        j += 1;
    }
    (b.get(j) == Some(&b'"')).then_some(j - i - 1)
}

fn end_of_raw_string(b: &[u8], mut i: usize, hashes: usize) -> usize {
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return (i + 1 + hashes).min(b.len());
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod test {
    use super::*;

    const SRC: &str = r##"#![enable(implicit_some)]
// a comment with "quotes" and (brackets
MoodMap(
    tempo: 100, /* tempo: 3 */
    moods: {
        "explore": (valence: 0.5, arousal: -0.4),
        "combat": (valence: -0.5, tempo: 140, layers: { drums: (enter: 0.2) }),
        "explore": (valence: 0.1),
    },
    rules: [
        (mood: "combat", when: "threat > 0.5"),
        (mood: r#"boss"#, when: "boss"),
    ],
)"##;

    fn at(path: &[Seg]) -> (Location, Location, bool) {
        let l = Locator::new(SRC);
        let f = l.find(path).unwrap();
        (l.location(f.anchor), l.location(f.value), f.complete)
    }

    fn loc(line: u32, column: u32) -> Location {
        Location { line, column }
    }

    #[test]
    fn fields_keys_and_elements_are_found_through_the_nesting() {
        assert_eq!(at(&[Seg::Field("tempo")]), (loc(4, 5), loc(4, 12), true));
        assert_eq!(
            at(&[Seg::Field("moods"), Seg::key("combat"), Seg::Field("tempo")]),
            (loc(7, 35), loc(7, 42), true)
        );
        assert_eq!(
            at(&[
                Seg::Field("moods"),
                Seg::key("combat"),
                Seg::Field("layers"),
                Seg::Field("drums"),
                Seg::Field("enter")
            ])
            .1,
            loc(7, 72)
        );
        assert_eq!(
            at(&[Seg::Field("moods"), Seg::Key("explore".into(), 1)]).0,
            loc(8, 9)
        );
        assert_eq!(
            at(&[Seg::Field("rules"), Seg::Index(1), Seg::Field("mood")]).1,
            loc(12, 16)
        );
        assert_eq!(
            at(&[Seg::Field("rules"), Seg::Index(0), Seg::Field("when")]).1,
            loc(11, 32)
        );
    }

    #[test]
    fn the_path_of_an_offset_names_the_field_around_it() {
        let l = Locator::new(SRC);
        let path = |needle: &str| l.path_at(SRC.find(needle).unwrap());
        assert_eq!(path("100"), "tempo");
        assert_eq!(path("-0.4"), "moods.explore.arousal");
        assert_eq!(path("enter"), "moods.combat.layers.drums");
        assert_eq!(path("0.2"), "moods.combat.layers.drums.enter");
        assert_eq!(path("threat >"), "rules[0].when");
        assert_eq!(path("when: \"boss"), "rules[1]");
        assert_eq!(path("MoodMap"), "");
        assert_eq!(
            path("),\n        \"explore\": (valence: 0.1"),
            "moods.combat"
        );
    }

    #[test]
    fn a_missing_step_gives_the_deepest_step_found() {
        let (anchor, _, complete) = at(&[Seg::Field("moods"), Seg::key("nope")]);
        assert!(!complete);
        assert_eq!(anchor, loc(5, 5));
    }

    #[test]
    fn offsets_and_locations_convert_both_ways() {
        for at in [0, 10, 50, SRC.len()] {
            assert_eq!(offset_of(SRC, location_of(SRC, at)), at);
        }
        assert_eq!(
            skip_blank(SRC, SRC.find("/* tempo").unwrap()),
            SRC.find("moods").unwrap()
        );
    }

    #[test]
    fn scanning_garbage_never_panics() {
        for src in [
            "",
            "\"",
            "r#\"",
            "r#",
            "/*",
            "((",
            "))",
            "é(ü: \"ß",
            "#![",
            "r\"x",
        ] {
            let l = Locator::new(src);
            let _ = l.find(&[Seg::Field("a"), Seg::Index(3), Seg::key("b")]);
            let _ = snippet(src, 1);
            let _ = location_of(src, 2);
            let _ = offset_of(src, Location { line: 3, column: 9 });
        }
    }
}
