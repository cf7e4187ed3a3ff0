//! JSON paths of policy elements (`Statement[2].Condition.StringEquals.kms:ViaService`), kept
//! as a chain of borrowed segments and written out only when a diagnostic names one.

use std::fmt;

/// A JSON path: the document root, a member of an object, or an item of an array.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JPath<'a> {
    /// The document itself (written as the empty string).
    Root,
    /// `parent.key` (`key` alone under the root).
    Key(&'a JPath<'a>, &'a str),
    /// `parent[index]`.
    Index(&'a JPath<'a>, usize),
}

impl<'a> JPath<'a> {
    /// The member `key` of this path.
    pub(crate) fn key(&'a self, key: &'a str) -> JPath<'a> {
        JPath::Key(self, key)
    }

    /// The item `index` of this path.
    pub(crate) fn index(&'a self, index: usize) -> JPath<'a> {
        JPath::Index(self, index)
    }
}

impl fmt::Display for JPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JPath::Root => Ok(()),
            JPath::Key(JPath::Root, key) => f.write_str(key),
            JPath::Key(parent, key) => write!(f, "{parent}.{key}"),
            JPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JPath;

    #[test]
    fn paths_are_written_as_the_parser_always_wrote_them() {
        let root = JPath::Root;
        assert_eq!(root.to_string(), "");
        assert_eq!(root.key("Version").to_string(), "Version");
        let stmts = root.key("Statement");
        let one = stmts.index(2);
        assert_eq!(one.to_string(), "Statement[2]");
        let cond = one.key("Condition");
        let op = cond.key("StringEquals");
        assert_eq!(
            op.key("kms:ViaService").to_string(),
            "Statement[2].Condition.StringEquals.kms:ViaService"
        );
        let action = stmts.key("Action");
        assert_eq!(action.index(0).to_string(), "Statement.Action[0]");
    }
}
