//! Files a test reads back from places only the test itself fills: the temporary locations
//! pytest hands it (`tmp_path`, `tmpdir` and their factories), fresh `tempfile` locations,
//! pandas' `ensure_clean()` paths, and the data files the test suite ships with (pandas'
//! `datapath` fixture).
//!
//! The reasoning holds in test code only: a test function takes no outside input (its
//! parameters are fixtures and parametrized values written in the test suite), so a file
//! at a location the test owns holds what the test put there. It stops holding when the
//! test itself fetches something from outside into it, so a function that calls any known
//! fetcher (a URL download, a hub download, a file copy) gets no such exemption: a test
//! loading a downloaded file is still reported. What counts as test code here is
//! structural, so that the analysis of a file does not depend on `test-paths`: a function
//! named `test…` or decorated with `pytest.fixture`, or one that uses pandas'
//! test-only `ensure_clean()`.

use crate::fields::{self, FieldExt};
use crate::semantic::{BindingKind, Model, ScopeId};
use tree_sitter::Node;

/// The pytest fixtures that hand a test a fresh temporary directory of its own.
const TEMP_FIXTURES: &[&str] = &["tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"];

/// Fixtures whose results are paths of data files committed with the test suite.
const DATA_FIXTURES: &[&str] = &["datapath"];

/// Calls that create a fresh temporary location: private to the user (`tempfile`) or
/// unique to the test (pandas' `ensure_clean`, which only pandas' own tests use).
const TEMP_CALLS: &[&str] = &[
    "tempfile.mkdtemp()",
    "tempfile.NamedTemporaryFile()",
    "tempfile.TemporaryDirectory()",
    "tempfile.TemporaryFile()",
    "tempfile.SpooledTemporaryFile()",
    "pandas._testing.ensure_clean()",
    "pandas._testing.contexts.ensure_clean()",
    "pandas.util.testing.ensure_clean()",
];

/// Test-only helpers: a function calling one is test code.
const TEST_HELPERS: &[&str] = &[
    "pandas._testing.ensure_clean()",
    "pandas._testing.contexts.ensure_clean()",
    "pandas.util.testing.ensure_clean()",
];

/// Calls that derive a path, or open a file, from their first argument.
const PATH_CALLS: &[&str] = &[
    "os.path.join()",
    "posixpath.join()",
    "pathlib.Path()",
    "pathlib.PurePath()",
    "str()",
    "os.fspath()",
    "open()",
    "io.open()",
    "gzip.open()",
    "bz2.open()",
    "lzma.open()",
];

/// Methods that derive a path inside the receiver's location, or open it.
const PATH_METHODS: &[&str] = &[
    "join",
    "joinpath",
    "mktemp",
    "mkdir",
    "with_suffix",
    "with_name",
    "open",
];

/// Attributes that name the receiver's own file (`NamedTemporaryFile().name`, py.path's
/// `strpath`).
const PATH_ATTRIBUTES: &[&str] = &["name", "strpath"];

/// Calls that bring data from outside into a file: with one in the function, a location
/// the test owns may hold foreign bytes.
const FETCHERS: &[&str] = &[
    "urllib.request.urlretrieve()",
    "urllib.request.urlopen()",
    "requests.get()",
    "requests.request()",
    "httpx.get()",
    "huggingface_hub.hf_hub_download()",
    "huggingface_hub.snapshot_download()",
    "torch.hub.download_url_to_file()",
    "shutil.copy()",
    "shutil.copy2()",
    "shutil.copyfile()",
    "shutil.copyfileobj()",
    "shutil.move()",
];

/// Resolution depth: paths are built in a few steps, never dozens.
const MAX_DEPTH: usize = 12;

/// Expressions one question may visit.
const MAX_VISITS: usize = 2_000;

/// Whether the path or file `expr` (evaluated in `scope`) lies in a location the enclosing
/// test owns (see the module documentation), in a function that fetches nothing.
pub fn test_owned<'t>(model: &Model<'t>, expr: Node<'t>, scope: ScopeId) -> bool {
    let Some(function) = enclosing_function(model, scope) else {
        return false;
    };
    // A budget of visited expressions: names rebound conditionally many times over must not
    // make the walk exponential.
    let budget = std::cell::Cell::new(MAX_VISITS);
    owned(model, expr, scope, expr.start_byte(), 0, &budget)
        && is_test_function(model, function, scope)
        && !fetches(model, function)
}

/// The `def` whose body `scope` is.
fn enclosing_function<'t>(model: &Model<'t>, scope: ScopeId) -> Option<Node<'t>> {
    let node = model.scopes[scope].node;
    (node.kind() == "function_definition").then_some(node)
}

/// Whether `function` (the node of `scope`) is a pytest test or fixture, or uses a
/// test-only helper.
fn is_test_function<'t>(model: &Model<'t>, function: Node<'t>, scope: ScopeId) -> bool {
    if function
        .field(&fields::NAME)
        .is_some_and(|n| model.text(n).starts_with("test"))
    {
        return true;
    }
    let outer = model.scopes[scope].parent.unwrap_or(0);
    if let Some(decorated) = function
        .parent()
        .filter(|p| p.kind() == "decorated_definition")
    {
        let mut cursor = decorated.walk();
        let fixture = decorated
            .named_children(&mut cursor)
            .filter(|d| d.kind() == "decorator")
            .filter_map(|d| d.named_child(0))
            .any(|e| {
                let e = match e.kind() {
                    "call" => e.field(&fields::FUNCTION).unwrap_or(e),
                    _ => e,
                };
                model
                    .qualified_names(e, outer)
                    .iter()
                    .any(|q| q == "pytest.fixture")
            });
        if fixture {
            return true;
        }
    }
    calls_in(model, function, TEST_HELPERS)
}

/// Whether `function` calls a known fetcher.
fn fetches<'t>(model: &Model<'t>, function: Node<'t>) -> bool {
    calls_in(model, function, FETCHERS)
}

/// Whether some call inside `function` (nested functions included) resolves to one of
/// `names`.
fn calls_in<'t>(model: &Model<'t>, function: Node<'t>, names: &[&str]) -> bool {
    model
        .function_callees()
        .get(&function.start_byte())
        .is_some_and(|callees| names.iter().any(|n| callees.contains(*n)))
}

/// A string literal that stays inside the location it is joined to: relative, no `..`.
fn inside_literal(model: &Model, node: Node) -> bool {
    if node.kind() != "string" {
        return false;
    }
    let text = model.text(node);
    let body = text.trim_matches(|c| c == '"' || c == '\'');
    !body.starts_with('/') && !body.contains("..") && !body.contains('{')
}

/// Whether every value `expr` may have is a path or file in a location the test owns.
fn owned<'t>(
    model: &Model<'t>,
    expr: Node<'t>,
    scope: ScopeId,
    pos: usize,
    depth: usize,
    budget: &std::cell::Cell<usize>,
) -> bool {
    if depth > MAX_DEPTH || budget.get() == 0 {
        return false;
    }
    budget.set(budget.get() - 1);
    match expr.kind() {
        "identifier" => owned_name(model, expr, scope, pos, depth, budget),
        "parenthesized_expression" => expr
            .named_child(0)
            .is_some_and(|e| owned(model, e, scope, pos, depth + 1, budget)),
        "binary_operator" => {
            let op = expr.field(&fields::OPERATOR).map(|o| o.kind());
            matches!(op, Some("/" | "+"))
                && expr
                    .field(&fields::LEFT)
                    .is_some_and(|l| owned(model, l, scope, pos, depth + 1, budget))
                && expr
                    .field(&fields::RIGHT)
                    .is_some_and(|r| inside_literal(model, r))
        }
        "attribute" => {
            expr.field(&fields::ATTRIBUTE)
                .is_some_and(|a| PATH_ATTRIBUTES.contains(&model.text(a)))
                && expr
                    .field(&fields::OBJECT)
                    .is_some_and(|o| owned(model, o, scope, pos, depth + 1, budget))
        }
        "call" => owned_call(model, expr, scope, pos, depth, budget),
        _ => false,
    }
}

fn owned_call<'t>(
    model: &Model<'t>,
    call: Node<'t>,
    scope: ScopeId,
    pos: usize,
    depth: usize,
    budget: &std::cell::Cell<usize>,
) -> bool {
    let Some(function) = call.field(&fields::FUNCTION) else {
        return false;
    };
    if function.kind() == "identifier" && is_fixture_param(model, function, scope, DATA_FIXTURES) {
        return true;
    }
    let names: Vec<String> = model
        .resolve(call, scope)
        .into_iter()
        .filter_map(|v| match v {
            crate::semantic::Value::Name(n) => Some(n),
            _ => None,
        })
        .collect();
    if !names.is_empty() && names.iter().all(|n| TEMP_CALLS.contains(&n.as_str())) {
        return true;
    }
    let Some(args) = call.field(&fields::ARGUMENTS) else {
        return false;
    };
    let mut cursor = args.walk();
    let args: Vec<Node<'t>> = args.named_children(&mut cursor).collect();
    // Every other argument is a literal: a mode, a relative name, a keyword flag.
    let rest_literal = |rest: &[Node<'t>]| {
        rest.iter().all(|a| {
            let value = match a.kind() {
                "keyword_argument" => a.field(&fields::VALUE),
                _ => Some(*a),
            };
            value.is_some_and(|v| {
                inside_literal(model, v) || crate::semantic::literal(v, model.source).is_some()
            })
        })
    };
    if !names.is_empty() && names.iter().all(|n| PATH_CALLS.contains(&n.as_str())) {
        return args.first().is_some_and(|first| {
            first.kind() != "keyword_argument"
                && owned(model, *first, scope, pos, depth + 1, budget)
                && rest_literal(&args[1..])
        });
    }
    function.kind() == "attribute"
        && function
            .field(&fields::ATTRIBUTE)
            .is_some_and(|a| PATH_METHODS.contains(&model.text(a)))
        && function
            .field(&fields::OBJECT)
            .is_some_and(|o| owned(model, o, scope, pos, depth + 1, budget))
        && rest_literal(&args)
}

/// Whether every binding of the name `ident` in effect at `pos` gives it an owned value.
fn owned_name<'t>(
    model: &Model<'t>,
    ident: Node<'t>,
    scope: ScopeId,
    pos: usize,
    depth: usize,
    budget: &std::cell::Cell<usize>,
) -> bool {
    let name = model.text(ident);
    if is_fixture_param(model, ident, scope, TEMP_FIXTURES) {
        return true;
    }
    // The semantic model does not bind `with ... as name` targets: find the `with` here.
    let with_value = with_value_for(model, scope, name, pos);
    if let Some(v) = with_value
        && !owned(model, v, scope, v.start_byte(), depth + 1, budget)
    {
        return false;
    }
    let Some((mut bindings, home)) = model.lookup(name, scope, pos) else {
        return with_value.is_some();
    };
    // An assignment in a block that also holds the read ran before it: the earlier
    // bindings a loop or branch might leave do not reach (`for p in ...: p = datapath(p)`).
    if let Some(BindingKind::Assign(value)) = bindings.first().map(|b| b.kind)
        && super::roundtrip::same_block_before(value, pos)
    {
        bindings.truncate(1);
    }
    bindings.iter().all(|b| match b.kind {
        BindingKind::Assign(value) => {
            owned(model, value, home, value.start_byte(), depth + 1, budget)
        }
        _ => false,
    })
}

/// The value of the innermost `with VALUE as name:` of `scope` whose body holds `pos`.
fn with_value_for<'t>(
    model: &Model<'t>,
    scope: ScopeId,
    name: &str,
    pos: usize,
) -> Option<Node<'t>> {
    let mut found = None;
    let mut node = model.scopes[scope].node;
    loop {
        if node.kind() == "with_statement"
            && let Some(body) = node.field(&fields::BODY)
            && body.start_byte() <= pos
            && pos < body.end_byte()
        {
            let mut cursor = node.walk();
            for clause in node.named_children(&mut cursor) {
                if clause.kind() != "with_clause" {
                    continue;
                }
                let mut items = clause.walk();
                for item in clause.named_children(&mut items) {
                    if let Some(pattern) = item.field(&fields::VALUE)
                        && pattern.kind() == "as_pattern"
                        && pattern
                            .field(&fields::ALIAS)
                            .is_some_and(|a| model.text(a) == name)
                    {
                        found = pattern.named_child(0);
                    }
                }
            }
        }
        let mut cursor = node.walk();
        let next = node.named_children(&mut cursor).find(|c| {
            c.start_byte() <= pos
                && pos < c.end_byte()
                && !matches!(
                    c.kind(),
                    "function_definition" | "class_definition" | "lambda"
                )
        });
        match next {
            Some(n) => node = n,
            None => return found,
        }
    }
}

/// Whether `ident` names a parameter, one of `fixtures`, of a pytest test or fixture that
/// encloses it (pytest passes fixtures by parameter name).
fn is_fixture_param<'t>(
    model: &Model<'t>,
    ident: Node<'t>,
    scope: ScopeId,
    fixtures: &[&str],
) -> bool {
    let name = model.text(ident);
    if !fixtures.contains(&name) {
        return false;
    }
    let Some((bindings, home)) = model.lookup(name, scope, ident.start_byte()) else {
        return false;
    };
    let function = model.scopes[home].node;
    let Some(params) = function
        .field(&fields::PARAMETERS)
        .filter(|_| function.kind() == "function_definition")
    else {
        return false;
    };
    bindings.len() == 1
        && matches!(bindings[0].kind, BindingKind::Other)
        && bindings[0].pos == params.start_byte()
        && is_test_function(model, function, home)
}

/// The functions the deserializers fetch `http`, `https` and `ftp` URLs with.
const URL_OPENERS: &[&str] = &["urllib.request.urlopen"];

/// Whether `arg`, the URL the deserializer `call` reads, is served by the test's own mock:
/// a URL literal, or a parameter the test is parametrized with URL literals only, read after
/// the test replaced the URL opener with `monkeypatch.setattr` in the same block.
pub fn mocked_url<'t>(model: &Model<'t>, call: Node<'t>, arg: Node<'t>, scope: ScopeId) -> bool {
    let Some(function) = enclosing_function(model, scope) else {
        return false;
    };
    if !is_test_function(model, function, scope) || fetches(model, function) {
        return false;
    }
    let url_arg = match arg.kind() {
        "string" => is_url_literal(model, arg),
        "identifier" => parametrized_with_urls(model, function, scope, arg),
        _ => false,
    };
    url_arg && model.calls.iter().any(|site| {
        let w = site.node;
        site.scope == scope
            && super::roundtrip::same_block_before(w, call.start_byte())
            && w.field(&fields::FUNCTION).is_some_and(|f| {
                f.kind() == "attribute"
                    && f.field(&fields::ATTRIBUTE)
                        .is_some_and(|a| model.text(a) == "setattr")
                    && f.field(&fields::OBJECT).is_some_and(|o| {
                        o.kind() == "identifier"
                            && is_fixture_param(model, o, scope, &["monkeypatch"])
                    })
            })
            && matches!(
                super::conditions::find_arg(w, model.source, None, Some(0)),
                super::conditions::ArgState::Given(t)
                    if matches!(crate::semantic::literal(t, model.source),
                        Some(crate::rules::Literal::Str(s)) if URL_OPENERS.contains(&s.as_str()))
            )
    })
}

/// A string literal naming an `http`, `https` or `ftp` URL.
fn is_url_literal(model: &Model, node: Node) -> bool {
    matches!(crate::semantic::literal(node, model.source),
        Some(crate::rules::Literal::Str(s))
            if ["http://", "https://", "ftp://"].iter().any(|p| s.starts_with(p)))
}

/// Whether `ident` is a parameter of the test `function` that a
/// `@pytest.mark.parametrize("name", [...])` gives URL literals only.
fn parametrized_with_urls<'t>(
    model: &Model<'t>,
    function: Node<'t>,
    scope: ScopeId,
    ident: Node<'t>,
) -> bool {
    let name = model.text(ident);
    let Some((bindings, home)) = model.lookup(name, scope, ident.start_byte()) else {
        return false;
    };
    let is_param = home == scope
        && bindings.len() == 1
        && function
            .field(&fields::PARAMETERS)
            .is_some_and(|p| bindings[0].pos == p.start_byte());
    let Some(decorated) = function
        .parent()
        .filter(|p| is_param && p.kind() == "decorated_definition")
    else {
        return false;
    };
    let outer = model.scopes[scope].parent.unwrap_or(0);
    let mut cursor = decorated.walk();
    let decorators: Vec<Node<'t>> = decorated
        .named_children(&mut cursor)
        .filter(|d| d.kind() == "decorator")
        .filter_map(|d| d.named_child(0))
        .filter(|e| e.kind() == "call")
        .collect();
    decorators.into_iter().any(|d| {
        let parametrize = d.field(&fields::FUNCTION).is_some_and(|f| {
            model
                .qualified_names(f, outer)
                .iter()
                .any(|q| q == "pytest.mark.parametrize")
        });
        let names = super::conditions::find_arg(d, model.source, None, Some(0));
        let values = super::conditions::find_arg(d, model.source, None, Some(1));
        parametrize
            && matches!(names, super::conditions::ArgState::Given(n)
                if matches!(crate::semantic::literal(n, model.source),
                    Some(crate::rules::Literal::Str(s)) if s == name))
            && matches!(values, super::conditions::ArgState::Given(v)
            if all_urls(model, v))
    })
}

/// Whether `list` is a non-empty list or tuple of URL literals only.
fn all_urls(model: &Model, list: Node) -> bool {
    if !matches!(list.kind(), "list" | "tuple") || list.named_child_count() == 0 {
        return false;
    }
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .all(|x| is_url_literal(model, x))
}
