//! Expressions over signals, parsed and evaluated by [exmex].
//!
//! Numbers are `f64`. exmex's float operators (`+ - * / ^`, `abs`, `sqrt`,
//! `min`, `max`, `sin`, … and the constants `PI`, `E`) are extended here with
//! comparisons (`< <= > >= == !=`), logic (`&& || !`) and the constants
//! `true` and `false`. A comparison or a logical operator gives 1 for true
//! and 0 for false; any value above 0 counts as true. Precedence, from
//! tightest: unary operators, `^`, `/`, `*`, `-`, `+`, then comparisons, then
//! `&&`, then `||` — so `danger > 0.6 && !safe` means what it says.

use std::{fmt, panic::AssertUnwindSafe, sync::OnceLock};

use exmex::{BinOp, Express, FlatEx, FloatOpsFactory, MakeOperators, Operator};

/// The most characters an expression may have.
const MAX_LEN: usize = 2000;
/// The deepest nesting of parentheses an expression may have.
const MAX_DEPTH: usize = 64;

/// exmex's float operators plus comparisons and logic.
#[derive(Clone, Debug)]
pub(crate) struct SignalOps;

fn truth(x: bool) -> f64 {
    if x { 1.0 } else { 0.0 }
}

/// How far exmex's float operators are moved up to make room below them.
/// exmex needs priorities ≥ 0: it ranks operators inside parentheses by
/// adding 1000 per level and finds a group's operators by that, so a
/// negative priority would fall out of its group.
const FLOAT_SHIFT: i64 = 3;

impl MakeOperators<f64> for SignalOps {
    fn make<'a>() -> Vec<Operator<'a, f64>> {
        // exmex's float operators use priorities 0 (`+`, `min`, `max`) to 4
        // (`^`); they move up by FLOAT_SHIFT so that comparisons (2), `&&`
        // (1) and `||` (0) bind more loosely, as in C.
        let mut ops: Vec<Operator<'a, f64>> = FloatOpsFactory::<f64>::make()
            .into_iter()
            .map(|op| match (op.bin(), op.unary()) {
                (Ok(mut bin), unary) => {
                    bin.prio += FLOAT_SHIFT;
                    match unary {
                        Ok(unary) => Operator::make_bin_unary(op.repr(), bin, unary),
                        Err(_) => Operator::make_bin(op.repr(), bin),
                    }
                }
                _ => op,
            })
            .collect();
        let bin = |repr, apply: fn(f64, f64) -> f64, prio, is_commutative| {
            Operator::make_bin(
                repr,
                BinOp {
                    apply,
                    prio,
                    is_commutative,
                },
            )
        };
        ops.extend([
            bin("<", |a, b| truth(a < b), 2, false),
            bin("<=", |a, b| truth(a <= b), 2, false),
            bin(">", |a, b| truth(a > b), 2, false),
            bin(">=", |a, b| truth(a >= b), 2, false),
            bin("==", |a, b| truth(a == b), 2, true),
            bin("!=", |a, b| truth(a != b), 2, true),
            bin("&&", |a, b| truth(a > 0.0 && b > 0.0), 1, true),
            bin("||", |a, b| truth(a > 0.0 || b > 0.0), 0, true),
            Operator::make_unary("!", |a| truth(a.is_nan() || a <= 0.0)),
            Operator::make_constant("true", 1.0),
            Operator::make_constant("false", 0.0),
        ]);
        ops
    }
}

type Compiled = FlatEx<f64, SignalOps>;

/// Whether `name` is a word of the expression language (an operator or a
/// constant such as `max`, `sin`, `E`, `true`): such a name cannot be a signal.
pub(crate) fn is_reserved(name: &str) -> bool {
    SignalOps::make().iter().any(|op| op.repr() == name)
}

/// Whether `name` can name a signal: an ASCII identifier that is not a word
/// of the expression language.
pub(crate) fn is_signal_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_reserved(name)
}

/// An expression over signals, such as `threat`, `enemies_near > 0 && !safe`
/// or `max(threat, 1 - health)`.
///
/// It keeps the text it was written as (what serialization writes back)
/// and the parsed form. Text that does not parse is kept too, with its
/// error, so that [`MoodMap::parse`](crate::MoodMap::parse) can report it
/// with its location; such an expression evaluates to NaN.
///
/// Deserializing only stores the text: the text is parsed on first use
/// ([`MoodMap::parse`](crate::MoodMap::parse) uses every expression while
/// checking the map), outside serde's recursion, because exmex's parser is
/// heavy on the stack (its first parse in a process, which also builds its
/// regular expressions, takes about half a MiB; the default 2 MiB of a
/// spawned thread is plenty).
#[derive(Clone)]
pub struct Expr {
    text: String,
    compiled: OnceLock<Result<Box<Compiled>, ExprError>>,
}

impl Expr {
    /// Parses `text`; the error says what is wrong with it.
    ///
    /// ```
    /// use overture_moodmap::Expr;
    /// let e = Expr::new("danger > 0.6 && !safe")?;
    /// assert_eq!(e.signals(), ["danger", "safe"]);
    /// assert!(Expr::new("danger >").is_err());
    /// # Ok::<(), overture_moodmap::ExprError>(())
    /// ```
    pub fn new(text: impl Into<String>) -> Result<Expr, ExprError> {
        let e = Expr::lenient(text.into());
        match e.compiled() {
            Ok(_) => Ok(e),
            Err(msg) => Err(msg.clone()),
        }
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The signals it reads, in alphabetical order (empty if it does not parse).
    pub fn signals(&self) -> &[String] {
        match self.compiled() {
            Ok(c) => c.var_names(),
            Err(_) => &[],
        }
    }

    /// An expression of `text`, parsed on first use.
    pub(crate) fn lenient(text: String) -> Expr {
        Expr {
            text,
            compiled: OnceLock::new(),
        }
    }

    fn compiled(&self) -> &Result<Box<Compiled>, ExprError> {
        self.compiled
            .get_or_init(|| compile(&self.text).map(Box::new))
    }

    /// The parse error, if the text does not parse.
    pub(crate) fn error(&self) -> Option<&ExprError> {
        self.compiled().as_ref().err()
    }

    /// Evaluates with `value` giving each signal's value; `scratch` is
    /// reused between calls so that evaluation does not allocate. NaN if
    /// the text does not parse or evaluation fails.
    pub(crate) fn eval(&self, scratch: &mut Vec<f64>, value: impl Fn(&str) -> f64) -> f64 {
        let Ok(c) = self.compiled() else {
            return f64::NAN;
        };
        scratch.clear();
        scratch.extend(c.var_names().iter().map(|n| value(n)));
        c.eval(scratch).unwrap_or(f64::NAN)
    }
}

/// Why the text of an expression does not parse. Its text says what was
/// expected instead, as a mood map's error reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExprError {
    /// The text is empty or blank.
    Empty,
    /// The text is longer than an expression may be.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// Parentheses are nested deeper than an expression may nest them.
    TooDeep {
        /// The deepest nesting allowed.
        max: usize,
    },
    /// The text has `{` or `}` (which the parser would read as a name).
    Braces,
    /// The parser refused the text.
    Syntax {
        /// What was expected, in words.
        expected: &'static str,
        /// The parser's own message.
        message: String,
    },
    /// The parser failed on the text in a way of its own (a bug there).
    Unreadable,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("an expression, not an empty string"),
            Self::TooLong { max } => write!(f, "an expression of at most {max} characters"),
            Self::TooDeep { max } => {
                write!(f, "parentheses nested at most {max} deep in an expression")
            }
            Self::Braces => f.write_str("signal names, numbers and operators, without `{` or `}`"),
            Self::Syntax { expected, message } => write!(f, "{expected} ({message})"),
            Self::Unreadable => f.write_str("an expression the expression parser can read"),
        }
    }
}

impl std::error::Error for ExprError {}

fn compile(text: &str) -> Result<Compiled, ExprError> {
    if text.trim().is_empty() {
        return Err(ExprError::Empty);
    }
    if text.chars().count() > MAX_LEN {
        return Err(ExprError::TooLong { max: MAX_LEN });
    }
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(ExprError::TooDeep { max: MAX_DEPTH });
        }
    }
    if text.contains(['{', '}']) {
        // exmex reads `{any text}` as a variable name; signal names are
        // plain identifiers.
        return Err(ExprError::Braces);
    }
    // exmex only skips spaces: a map may break a long expression over lines.
    let flat: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    // exmex returns errors for what it rejects; a panic inside it would be
    // a bug there, and must not take the game down with it.
    match std::panic::catch_unwind(AssertUnwindSafe(|| Compiled::parse(&flat))) {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(describe(e.msg())),
        Err(_) => Err(ExprError::Unreadable),
    }
}

/// exmex's message, with what was expected.
fn describe(msg: &str) -> ExprError {
    let hint = if msg.contains("parenthes") {
        "balanced parentheses"
    } else if msg.contains("last element cannot be an operator") {
        "an operand after the last operator"
    } else if msg.contains("one more node than op") {
        "operators between the operands (`a > 0.5 && b`, `max(a, b)`)"
    } else if msg.contains("don't know how to parse") {
        "signal names, numbers such as 0.5, and operators"
    } else if msg.contains("right of a closing parenthesis") {
        "an operator between a value and a parenthesis (only the built-in functions take arguments)"
    } else {
        "a valid expression"
    };
    ExprError::Syntax {
        expected: hint,
        message: without_addresses(msg),
    }
}

/// `msg` with every hexadecimal address (`0x7f3a…`, which exmex prints for
/// the operators in some messages) written as `0x…`, so that one mistake
/// reads the same on every run.
fn without_addresses(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - at - 2);
        out.push_str(if digits > 0 { "0x…" } else { "0x" });
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expr({:?})", self.text)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for Expr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Expr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Expr::lenient)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn eval(text: &str, vars: &[(&str, f64)]) -> f64 {
        let e = Expr::new(text).unwrap();
        e.eval(&mut Vec::new(), |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map_or(f64::NAN, |v| v.1)
        })
    }

    #[test]
    fn addresses_in_exmex_messages_read_the_same_on_every_run() {
        assert_eq!(
            without_addresses("op Operator { bin: 0x55d1c3a0f2b0, unary: 0x7F00 } at 0x"),
            "op Operator { bin: 0x…, unary: 0x… } at 0x"
        );
        assert_eq!(without_addresses("no address here"), "no address here");
        let ExprError::Syntax { message, .. } = describe("parsing 0xdeadbeef failed") else {
            panic!("a syntax error");
        };
        assert_eq!(message, "parsing 0x… failed");
    }

    #[test]
    fn logic_binds_more_loosely_than_comparison_and_arithmetic() {
        let v = [("danger", 0.7), ("safe", 0.0), ("health", 0.25)];
        assert_eq!(eval("danger > 0.6 && !safe", &v), 1.0);
        assert_eq!(eval("danger > 0.6 && safe", &v), 0.0);
        assert_eq!(eval("danger > 0.8 || health < 0.3", &v), 1.0);
        assert_eq!(eval("1 - health >= 0.75 && danger + 0.1 > 0.75", &v), 1.0);
        assert_eq!(eval("max(danger, 1 - health)", &v), 0.75);
        assert_eq!(eval("danger * !safe", &v), 0.7);
        assert_eq!(eval("!(danger > 0.5) || false", &v), 0.0);
        assert_eq!(eval("!(danger > 0.8) && (health < 0.3 || safe)", &v), 1.0);
        assert_eq!(eval("-(danger + 0.3) * 2 + 3", &v), 1.0);
        assert_eq!(eval("2 ^ 2 * 3 - 1 / 2 + 1", &v), 12.5);
        assert_eq!(eval("5 - 2 - 1 + 8 / 2 / 2", &v), 4.0);
        assert_eq!(eval("true && danger == 0.7 && health != 1", &v), 1.0);
    }

    #[test]
    fn expressions_spread_over_lines_parse() {
        assert_eq!(
            eval("danger\n    && !safe", &[("danger", 1.0), ("safe", 0.0)]),
            1.0
        );
    }

    #[test]
    fn bad_expressions_are_errors_not_panics() {
        for text in [
            "", "a >", "(a", ")", "a b", "&& a", "foo(a)", "a ! b", "€", "1e3", "((((", "a if b",
            "[1, 2]", "{a", "a,b", ",", "max(a,", "!", "--", "a..b", "\"x\"",
        ] {
            assert!(Expr::new(text).is_err(), "{text:?} should not parse");
        }
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert!(Expr::new(deep).unwrap_err().to_string().contains("nested"));
    }

    #[test]
    fn each_kind_of_bad_expression_is_its_own_error_with_the_text_maps_report() {
        let cases: [(&str, ExprError, &str); 4] = [
            (" ", ExprError::Empty, "an expression, not an empty string"),
            (
                &"a+".repeat(1001),
                ExprError::TooLong { max: 2000 },
                "an expression of at most 2000 characters",
            ),
            (
                &"(".repeat(65),
                ExprError::TooDeep { max: 64 },
                "parentheses nested at most 64 deep in an expression",
            ),
            (
                "{a}",
                ExprError::Braces,
                "signal names, numbers and operators, without `{` or `}`",
            ),
        ];
        for (text, kind, message) in cases {
            let e = Expr::new(text).unwrap_err();
            assert_eq!(e, kind);
            assert_eq!(e.to_string(), message);
        }
        let e = Expr::new("a >").unwrap_err();
        assert!(
            matches!(&e, ExprError::Syntax { expected, .. } if *expected == "an operand after the last operator"),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("an operand after the last operator ("),
            "{e}"
        );
    }

    #[test]
    fn reserved_words_cannot_name_signals() {
        for name in ["max", "sin", "E", "e", "PI", "true", "log2"] {
            assert!(!is_signal_name(name), "{name}");
        }
        for name in ["threat", "boss_active", "_x", "level2"] {
            assert!(is_signal_name(name), "{name}");
        }
        for name in ["", "2x", "a-b", "a b", "ü"] {
            assert!(!is_signal_name(name), "{name}");
        }
    }
}
