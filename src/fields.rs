//! Tree-sitter field ids of the Python grammar, each resolved once.
//!
//! `Node::child_by_field_name` looks the name up in the grammar's field table on every call
//! (a linear `strncmp` scan); a profile of a Django scan spent about a fifth of its
//! instructions there. The fields the analysis reads are named here and their ids are looked up
//! on first use, so each child lookup afterwards is a plain id comparison.

use std::sync::OnceLock;
use tree_sitter::Node;

/// One grammar field: its name and, after first use, its id.
pub struct Field {
    name: &'static str,
    id: OnceLock<u16>,
}

impl Field {
    const fn new(name: &'static str) -> Self {
        Self {
            name,
            id: OnceLock::new(),
        }
    }

    /// The field's id in the Python grammar; 0 (no field) if the grammar has no such field.
    pub fn id(&self) -> u16 {
        *self.id.get_or_init(|| {
            tree_sitter::Language::from(tree_sitter_python::LANGUAGE)
                .field_id_for_name(self.name)
                .map_or(0, u16::from)
        })
    }
}

/// The Python grammar's node kind names, indexed by kind id.
static KIND_NAMES: OnceLock<Vec<String>> = OnceLock::new();

fn kind_names() -> &'static [String] {
    KIND_NAMES.get_or_init(|| {
        let language = tree_sitter::Language::from(tree_sitter_python::LANGUAGE);
        (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    })
}

/// Child lookup by a [`Field`] (same result as `child_by_field_name` with its name), and
/// node kinds from a table.
pub trait FieldExt<'t> {
    /// The node's child in `field`, if any.
    fn field(&self, field: &Field) -> Option<Node<'t>>;

    /// The node's kind, as `Node::kind` gives it. `Node::kind` measures and UTF-8-checks
    /// the grammar's C string on every call, which the interpreter loops make for every
    /// node they visit; this is an index into a table built once.
    fn kind_name(&self) -> &'t str;
}

impl<'t> FieldExt<'t> for Node<'t> {
    fn field(&self, field: &Field) -> Option<Node<'t>> {
        match field.id() {
            0 => None,
            id => self.child_by_field_id(id),
        }
    }

    fn kind_name(&self) -> &'t str {
        match kind_names().get(usize::from(self.kind_id())) {
            Some(name) if !name.is_empty() => name,
            _ => self.kind(),
        }
    }
}

macro_rules! fields {
    ($($konst:ident = $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("The `", $name, "` field.")]
            pub static $konst: Field = Field::new($name);
        )*
    };
}

fields! {
    ALIAS = "alias",
    ALTERNATIVE = "alternative",
    ARGUMENT = "argument",
    ARGUMENTS = "arguments",
    ATTRIBUTE = "attribute",
    BODY = "body",
    CONDITION = "condition",
    CONSEQUENCE = "consequence",
    DEFINITION = "definition",
    FUNCTION = "function",
    KEY = "key",
    LEFT = "left",
    MODULE_NAME = "module_name",
    NAME = "name",
    OBJECT = "object",
    OPERATOR = "operator",
    PARAMETERS = "parameters",
    RIGHT = "right",
    SUBJECT = "subject",
    SUBSCRIPT = "subscript",
    SUPERCLASSES = "superclasses",
    TYPE = "type",
    VALUE = "value",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_name_lookup() {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse("import a.b as c\nx = f(y).z\n", None).unwrap();
        let root = tree.root_node();
        let import = root.child(0).unwrap().named_child(0).unwrap();
        assert_eq!(import.field(&ALIAS), import.child_by_field_name("alias"));
        let assign = root.child(1).unwrap().child(0).unwrap();
        assert_eq!(assign.field(&RIGHT), assign.child_by_field_name("right"));
        assert!(assign.field(&RIGHT).is_some());
        assert_eq!(assign.field(&BODY), None);
    }

    #[test]
    fn kind_names_match_node_kinds() {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        // Aliased and hidden-rule kinds too: `as_pattern_target`, `dotted_name`, keywords,
        // f-string parts, `match` patterns, an error node.
        let text = "import a.b as c\nfrom . import d\nwith f() as (g, h): pass\n\
                    x = f'{y!r:>{w}}' + b'z'\nmatch p:\n    case [1, *r] | {'k': v}: pass\n\
                    async def q(*a, **k) -> int: return await a\nlambda: (yield)\n)(\n";
        let tree = parser.parse(text, None).unwrap();
        let mut cursor = tree.walk();
        let mut seen = 0;
        'walk: loop {
            let node = cursor.node();
            assert_eq!(node.kind_name(), node.kind(), "{node:?}");
            seen += 1;
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        assert!(seen > 100);
    }
}
