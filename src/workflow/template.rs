//! Message templates with named variables: `您的订单{order}已发货，运单号{tracking}。`
//!
//! `{name}` is replaced by the variable `name` (letters, digits, `_`); `{{` and `}}` are
//! literal braces. A template is checked whole before anything is sent: every missing
//! variable is named in one error, so a shop's integration learns all of them at once.

use std::collections::BTreeMap;

/// Why a template cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Variables the template uses that were not given.
    #[error("missing template variable{}: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    Missing(Vec<String>),
    /// A `{` without its `}`, an empty `{}`, a stray `}`, or a name with other characters.
    #[error("template syntax at character {at}: {reason}")]
    Syntax {
        /// Character position (0-based).
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Var(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut at = 0usize;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        at += rest[..i].chars().count();
        let open = rest.as_bytes()[i] == b'{';
        let after = &rest[i + 1..];
        let doubled = after.strip_prefix(if open { '{' } else { '}' });
        if let Some(tail) = doubled {
            out.push(Piece::Brace(if open { '{' } else { '}' }));
            rest = tail;
            at += 2;
            continue;
        }
        if !open {
            return Err(TemplateError::Syntax {
                at,
                reason: "a `}` without its `{` (write `}}` for a brace)",
            });
        }
        let Some(end) = after.find('}') else {
            return Err(TemplateError::Syntax {
                at,
                reason: "a `{` without its `}` (write `{{` for a brace)",
            });
        };
        let name = &after[..end];
        if name.is_empty() {
            return Err(TemplateError::Syntax {
                at,
                reason: "an empty variable name `{}`",
            });
        }
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(TemplateError::Syntax {
                at,
                reason: "a variable name holds only letters, digits and `_`",
            });
        }
        out.push(Piece::Var(name));
        at += name.chars().count() + 2;
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// The variables a template uses, each once, in order of first use.
pub fn variables(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut names: Vec<String> = Vec::new();
    for p in pieces(template)? {
        if let Piece::Var(n) = p
            && !names.iter().any(|x| x == n)
        {
            names.push(n.to_string());
        }
    }
    Ok(names)
}

/// Why a request's text could not be had from `text` / `template`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextSourceError {
    /// Both were given.
    #[error("give text or template, not both")]
    Both,
    /// Neither was given.
    #[error("give text or template")]
    Neither,
    /// The template does not render.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// The text of a request that gives either `text` or a `template` filled from `vars`
/// (shared by the send API and reminders).
pub fn text_or_template(
    text: Option<&str>,
    template: Option<&str>,
    vars: &BTreeMap<String, String>,
) -> Result<String, TextSourceError> {
    match (text, template) {
        (Some(t), None) => Ok(t.to_owned()),
        (None, Some(t)) => Ok(render(t, vars)?),
        (Some(_), Some(_)) => Err(TextSourceError::Both),
        (None, None) => Err(TextSourceError::Neither),
    }
}

/// Renders `template` with `vars`; unused variables are fine, missing ones are an error
/// naming each.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let pieces = pieces(template)?;
    let missing: Vec<String> = variables(template)?
        .into_iter()
        .filter(|n| !vars.contains_key(n))
        .collect();
    if !missing.is_empty() {
        return Err(TemplateError::Missing(missing));
    }
    let mut out = String::with_capacity(template.len());
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Brace(c) => out.push(c),
            Piece::Var(n) => out.push_str(vars.get(n).map_or("", String::as_str)),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_or_template_takes_exactly_one() {
        let vars = BTreeMap::from([("name".to_owned(), "王".to_owned())]);
        assert_eq!(text_or_template(Some("hi"), None, &vars).unwrap(), "hi");
        assert_eq!(
            text_or_template(None, Some("{name}好"), &vars).unwrap(),
            "王好"
        );
        assert_eq!(
            text_or_template(Some("a"), Some("b"), &vars),
            Err(TextSourceError::Both)
        );
        assert_eq!(
            text_or_template(None, None, &vars),
            Err(TextSourceError::Neither)
        );
        assert!(matches!(
            text_or_template(None, Some("{order}"), &vars),
            Err(TextSourceError::Template(TemplateError::Missing(_)))
        ));
    }

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn variables_are_replaced() {
        let t = "{name}您好，订单{order}已发货，运单号{tracking}。";
        let v = vars(&[
            ("name", "王女士"),
            ("order", "A1001"),
            ("tracking", "SF123"),
            ("extra", "x"),
        ]);
        assert_eq!(
            render(t, &v).unwrap(),
            "王女士您好，订单A1001已发货，运单号SF123。"
        );
    }

    #[test]
    fn every_missing_variable_is_named() {
        let err = render("{name}：订单{order}待付款 {order}", &vars(&[])).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Missing(vec!["name".into(), "order".into()])
        );
        assert_eq!(err.to_string(), "missing template variables: name, order");
        assert_eq!(
            render("{tracking}", &vars(&[])).unwrap_err().to_string(),
            "missing template variable: tracking"
        );
    }

    #[test]
    fn doubled_braces_are_literal() {
        assert_eq!(
            render("{{x}} {a}}}", &vars(&[("a", "1")])).unwrap(),
            "{x} 1}"
        );
    }

    #[test]
    fn syntax_errors_say_where() {
        assert_eq!(
            render("订单{order", &vars(&[])).unwrap_err(),
            TemplateError::Syntax {
                at: 2,
                reason: "a `{` without its `}` (write `{{` for a brace)"
            }
        );
        assert!(matches!(
            render("a}b", &vars(&[])),
            Err(TemplateError::Syntax { at: 1, .. })
        ));
        assert!(matches!(
            render("{}", &vars(&[])),
            Err(TemplateError::Syntax { at: 0, .. })
        ));
        assert!(matches!(
            render("{a b}", &vars(&[])),
            Err(TemplateError::Syntax { .. })
        ));
    }

    #[test]
    fn chinese_variable_names_work() {
        assert_eq!(
            render("{姓名}好", &vars(&[("姓名", "李")])).unwrap(),
            "李好"
        );
    }
}
