//! Wildcard patterns (`*`, `?`), ARN segment patterns, and policy-variable templates.
//!
//! One matcher serves actions, resources, `StringLike` and `ArnLike`. Patterns are compiled
//! once at parse time; only patterns containing policy variables (`${aws:username}`) are
//! resolved per request, and characters that come from a variable's value (or from the
//! `${*}` / `${?}` escapes) are always literal, never wildcards.

/// One element of a compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A literal character.
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Star,
}

/// A compiled wildcard pattern, with fast paths for the common shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Glob {
    /// `*` alone.
    Any,
    /// No wildcards.
    Exact(String),
    /// `prefix*`.
    Prefix(String),
    /// Anything else.
    General(Vec<Tok>),
}

impl Glob {
    /// Compiles `pattern`, where `*` and `?` are wildcards.
    pub fn new(pattern: &str) -> Glob {
        // The common shapes without a token vector (same result as `from_toks`).
        match pattern.find(['*', '?']) {
            None => return Glob::Exact(pattern.to_string()),
            Some(0) if pattern == "*" => return Glob::Any,
            Some(i) if i > 0 && i + 1 == pattern.len() && pattern.ends_with('*') => {
                return Glob::Prefix(pattern[..i].to_string())
            }
            Some(_) => {}
        }
        Glob::from_toks(pattern.chars().map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        }))
    }

    /// Compiles a token sequence.
    pub fn from_toks(toks: impl IntoIterator<Item = Tok>) -> Glob {
        let toks: Vec<Tok> = toks.into_iter().collect();
        let lit_len = toks.iter().take_while(|t| matches!(t, Tok::Lit(_))).count();
        let literal = |ts: &[Tok]| -> String {
            ts.iter().filter_map(|t| if let Tok::Lit(c) = t { Some(*c) } else { None }).collect()
        };
        if toks.len() == 1 && toks[0] == Tok::Star {
            Glob::Any
        } else if lit_len == toks.len() {
            Glob::Exact(literal(&toks))
        } else if lit_len + 1 == toks.len() && toks.last() == Some(&Tok::Star) {
            Glob::Prefix(literal(&toks[..lit_len]))
        } else {
            Glob::General(toks)
        }
    }

    /// True when `text` matches (case-sensitively).
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(s) => s == text,
            Glob::Prefix(p) => text.starts_with(p.as_str()),
            Glob::General(toks) => general_match(toks, text),
        }
    }

    /// True when the pattern has a wildcard.
    pub fn has_wildcard(&self) -> bool {
        !matches!(self, Glob::Exact(_))
    }
}

/// Iterative wildcard matching with single-star backtracking: O(len(p) * len(t)) worst case,
/// no recursion, no allocation.
fn general_match(p: &[Tok], t: &str) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let Some(c) = t.get(ti..).and_then(|s| s.chars().next()) else { return false };
        match p.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                ti += c.len_utf8();
                continue;
            }
            Some(Tok::Lit(l)) if *l == c => {
                pi += 1;
                ti += c.len_utf8();
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                let Some(sc) = t.get(st..).and_then(|s| s.chars().next()) else { return false };
                pi = sp;
                ti = st + sc.len_utf8();
                star = Some((sp, ti));
            }
            None => return false,
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|t| *t == Tok::Star))
}

/// An ARN pattern matched component by component: the first five colon-separated components
/// are matched separately (a `*` never crosses a `:` there); the sixth keeps any colons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnGlob {
    /// `*` alone: every resource.
    Any,
    /// Six component globs.
    Parts(Box<[Glob; 6]>),
    /// Not an ARN shape: matched as a whole string.
    Whole(Glob),
}

impl ArnGlob {
    /// Compiles an ARN pattern.
    pub fn new(pattern: &str) -> ArnGlob {
        // Only literal `:` split components, and every `:` of a pattern string is literal:
        // the same result as `from_toks` on the pattern's tokens, without building them.
        if pattern == "*" {
            return ArnGlob::Any;
        }
        if pattern.bytes().filter(|&b| b == b':').take(5).count() < 5 {
            return ArnGlob::Whole(Glob::new(pattern));
        }
        let mut it = pattern.splitn(6, ':');
        let six: [Glob; 6] = std::array::from_fn(|_| Glob::new(it.next().unwrap_or_default()));
        ArnGlob::Parts(Box::new(six))
    }

    /// [`ArnGlob::new`] by way of the token vector (the reference the fast path is tested
    /// against).
    #[cfg(test)]
    fn new_by_toks(pattern: &str) -> ArnGlob {
        Self::from_toks(
            &pattern
                .chars()
                .map(|c| match c {
                    '*' => Tok::Star,
                    '?' => Tok::One,
                    c => Tok::Lit(c),
                })
                .collect::<Vec<_>>(),
        )
    }

    /// Compiles from tokens: only literal `:` characters split components.
    pub fn from_toks(toks: &[Tok]) -> ArnGlob {
        if toks.len() == 1 && toks[0] == Tok::Star {
            return ArnGlob::Any;
        }
        let mut parts: Vec<Vec<Tok>> = vec![Vec::new()];
        for t in toks {
            match t {
                Tok::Lit(':') if parts.len() < 6 => parts.push(Vec::new()),
                t => {
                    if let Some(last) = parts.last_mut() {
                        last.push(t.clone());
                    }
                }
            }
        }
        match <[Vec<Tok>; 6]>::try_from(parts) {
            Ok(six) => ArnGlob::Parts(Box::new(six.map(Glob::from_toks))),
            Err(_) => ArnGlob::Whole(Glob::from_toks(toks.iter().cloned())),
        }
    }

    /// True when `arn` matches.
    pub fn matches(&self, arn: &str) -> bool {
        match self {
            ArnGlob::Any => true,
            ArnGlob::Whole(g) => g.matches(arn),
            ArnGlob::Parts(globs) => {
                // A literal last component (a key ARN in a list of them) rejects most ARNs at
                // once: the sixth component is the end of the ARN.
                let [.., last] = &**globs;
                if let Glob::Exact(s) = last {
                    if !arn.ends_with(s.as_str()) {
                        return false;
                    }
                }
                let mut it = arn.splitn(6, ':');
                globs.iter().all(|g| it.next().is_some_and(|part| g.matches(part)))
            }
        }
    }
}

/// One piece of a string that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text as written (`*` and `?` in it are wildcards where the operator allows them).
    Text(String),
    /// `${key}` or `${key, 'default'}`; `key` is stored lower-case.
    Var {
        /// Lower-case context key.
        key: String,
        /// Value used when the key is absent.
        default: Option<String>,
    },
    /// `${*}`, `${?}`, `${$}`: a literal character.
    Escape(char),
}

/// A string with policy variables, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The pieces in order.
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Parses `${...}` variables out of `text`. Returns `None` when the text has none (the
    /// caller then keeps a plain string). Malformed variables stay literal text.
    pub fn parse(text: &str) -> Option<Template> {
        if !text.contains("${") {
            return None;
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut buf = String::new();
        while let Some(i) = rest.find("${") {
            let (before, after) = rest.split_at(i);
            buf.push_str(before);
            let inner_start = &after[2..];
            let Some(close) = inner_start.find('}') else {
                buf.push_str(after);
                rest = "";
                break;
            };
            let inner = &inner_start[..close];
            let piece = match inner {
                "*" => Some(Piece::Escape('*')),
                "?" => Some(Piece::Escape('?')),
                "$" => Some(Piece::Escape('$')),
                _ => parse_var(inner),
            };
            match piece {
                Some(p) => {
                    if !buf.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut buf)));
                    }
                    pieces.push(p);
                }
                None => buf.push_str(&after[..close + 3]),
            }
            rest = &inner_start[close + 1..];
        }
        buf.push_str(rest);
        if !buf.is_empty() {
            pieces.push(Piece::Text(buf));
        }
        pieces.iter().any(|p| !matches!(p, Piece::Text(_))).then_some(Template { pieces })
    }

    /// Resolves to a plain string; `None` when a variable without a default is missing.
    pub fn resolve_text(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Escape(c) => out.push(*c),
                Piece::Var { key, default } => {
                    out.push_str(&lookup(key).or_else(|| default.clone())?)
                }
            }
        }
        Some(out)
    }

    /// Resolves to wildcard tokens: wildcards only from the written text.
    pub fn resolve_toks(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<Vec<Tok>> {
        let mut out = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.extend(t.chars().map(|c| match c {
                    '*' => Tok::Star,
                    '?' => Tok::One,
                    c => Tok::Lit(c),
                })),
                Piece::Escape(c) => out.push(Tok::Lit(*c)),
                Piece::Var { key, default } => {
                    out.extend(lookup(key).or_else(|| default.clone())?.chars().map(Tok::Lit))
                }
            }
        }
        Some(out)
    }
}

/// Parses the inside of `${...}`: a key, optionally `, 'default'`.
fn parse_var(inner: &str) -> Option<Piece> {
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let d = d.strip_prefix('\'')?.strip_suffix('\'')?;
            (k.trim_end(), Some(d.to_string()))
        }
        None => (inner, None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Piece::Var { key: key.to_ascii_lowercase(), default })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_compile_as_the_token_form() {
        let toks = |p: &str| {
            p.chars()
                .map(|c| match c {
                    '*' => Tok::Star,
                    '?' => Tok::One,
                    c => Tok::Lit(c),
                })
                .collect::<Vec<_>>()
        };
        for p in [
            "",
            "*",
            "**",
            "?",
            "a*",
            "*a",
            "a?",
            "a*b*",
            "kms:Decrypt",
            "kms:*",
            "kms:Re*",
            "arn:aws:kms:us-east-1:111122223333:key/*",
            "arn:aws:s3:::bucket/*",
            "arn:aws:iam::*:role/Admin",
            "arn:aws:logs:r:a:log-group:/x:*",
            "arn:*",
            "a:b:c:d:e",
            "a:b:c:d:e:",
            ":::::",
            "arn:aws:iam::111122223333:root",
            "é*",
            "ü?x:*",
        ] {
            assert_eq!(Glob::new(p), Glob::from_toks(toks(p)), "glob {p:?}");
            assert_eq!(ArnGlob::new(p), ArnGlob::new_by_toks(p), "arn glob {p:?}");
        }
    }

    #[test]
    fn glob_shapes_and_matching() {
        assert_eq!(Glob::new("*"), Glob::Any);
        assert_eq!(Glob::new("kms:decrypt"), Glob::Exact("kms:decrypt".into()));
        assert_eq!(Glob::new("kms:*"), Glob::Prefix("kms:".into()));
        assert!(Glob::new("kms:*crypt").matches("kms:decrypt"));
        assert!(Glob::new("kms:Re*crypt*").matches("kms:ReEncryptFrom"));
        assert!(!Glob::new("kms:?ecrypt").matches("kms:encrypt"));
        assert!(Glob::new("kms:?ncrypt").matches("kms:encrypt"));
        assert!(Glob::new("a*b*c").matches("aXXbYYc"));
        assert!(!Glob::new("a*b*c").matches("aXXbYY"));
        assert!(Glob::new("é?").matches("éü"));
        assert!(Glob::new("").matches(""));
        assert!(!Glob::new("?").matches(""));
    }

    #[test]
    fn arn_glob_does_not_cross_colons_in_the_first_five_parts() {
        let p = ArnGlob::new("arn:aws:someservice:*:111122223333:finance/*");
        let v = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(!p.matches(v));
        assert!(Glob::new("arn:aws:someservice:*:111122223333:finance/*").matches(v));
        assert!(p.matches("arn:aws:someservice:us-east-2:111122223333:finance/a:b"));
        assert!(ArnGlob::new("arn:aws:kms:*:*:key/*").matches("arn:aws:kms:us-east-1:1:key/x"));
        assert!(ArnGlob::new("*").matches("anything"));
    }

    #[test]
    fn a_literal_arn_matches_only_itself_component_by_component() {
        let k = "arn:aws:kms:us-east-1:111122223333:key/1234";
        let p = ArnGlob::new(k);
        assert!(p.matches(k));
        for other in [
            "arn:aws:kms:us-east-1:111122223333:key/12345",
            "arn:aws:kms:us-east-1:444455556666:key/1234",
            "arn:aws:kms:us-east-1:111122223333:KEY/1234",
            "key/1234",
            "x:arn:aws:kms:us-east-1:111122223333:key/1234",
        ] {
            assert!(!p.matches(other), "{other}");
        }
        let q = ArnGlob::new("arn:aws:kms:*:111122223333:key/1234");
        assert!(q.matches("arn:aws:kms:eu-west-1:111122223333:key/1234"));
        assert!(!q.matches("arn:aws:kms:eu-west-1:111122223333:key/0234"));
    }

    #[test]
    fn templates_resolve_variables_defaults_and_escapes() {
        let t = Template::parse("arn:aws:s3:::b/${aws:username}/${*}${aws:x, 'dflt'}").unwrap();
        let look = |k: &str| (k == "aws:username").then(|| "a*b".to_string());
        assert_eq!(t.resolve_text(&look).unwrap(), "arn:aws:s3:::b/a*b/*dflt");
        let toks = t.resolve_toks(&look).unwrap();
        // The `*` from the user name and from `${*}` are literals.
        assert!(!toks.contains(&Tok::Star));
        assert!(Template::parse("no vars").is_none());
        assert!(Template::parse("${unclosed").is_none());
        let missing = Template::parse("${aws:PrincipalTag/team}").unwrap();
        assert_eq!(missing.resolve_text(&|_| None), None);
        assert_eq!(
            Template::parse("${AWS:UserName}").unwrap().pieces,
            vec![Piece::Var { key: "aws:username".into(), default: None }]
        );
    }
}
