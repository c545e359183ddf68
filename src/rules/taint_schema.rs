//! The serde shape of taint declarations: `[[source]]`, `[[sink]]`, `[[sanitizer]]` and
//! `[[propagator]]` tables, found in `kind = "taint"` rule files and `kind = "taint-model"`
//! files. See `docs/rules-format.md` ("Taint rules") and `docs/taint.md`.

use super::model::ConditionSpec;
use crate::finding::{Confidence, Severity};
use serde::Deserialize;
use toml::Spanned;

/// A `kind = "taint-model"` file: sources, sanitizers and propagators shared by every taint
/// rule, so adding a framework touches no rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintModelFile {
    pub kind: Spanned<String>,
    /// Lowercase-kebab name of the model (e.g. `flask`), used in messages.
    pub name: Spanned<String>,
    /// What the file models.
    pub description: String,
    #[serde(default)]
    pub source: Vec<Spanned<SourceSpec>>,
    #[serde(default)]
    pub sanitizer: Vec<Spanned<SanitizerSpec>>,
    #[serde(default)]
    pub propagator: Vec<Spanned<PropagatorSpec>>,
}

/// Where untrusted data enters: either expressions (`names`) or the parameters of functions
/// picked by the selector fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Shown in messages and paths, e.g. "Flask request data".
    pub label: String,
    /// Which threat model the source belongs to: `remote` (the default: network input) or
    /// `local` (command line, environment, stdin, files); `--threat-model` picks them.
    pub threat_model: Option<crate::settings::ThreatModel>,
    /// Expression sources: attribute reads or calls whose qualified name is one of these
    /// (`flask.request.args`, `flask.request.get_json()`).
    #[serde(default)]
    pub names: Vec<String>,
    /// Function selector: the file imports one of these modules (or a submodule of one).
    #[serde(default)]
    pub module_imports: Vec<String>,
    /// Function selector: a decorator, or the callee of a decorator call, resolves to one of
    /// these (`fastapi.FastAPI().get`).
    #[serde(default)]
    pub decorated_by: Vec<String>,
    /// Function selector: a method of a class whose bases resolve to one of these.
    #[serde(default)]
    pub class_bases: Vec<String>,
    /// Function selector: the function's name matches one of these globs (`*` = any run).
    #[serde(default)]
    pub function_names: Vec<String>,
    /// Function selector: the function's first parameter has this name (`request`).
    pub first_param: Option<String>,
    /// Function selector: a module-level function that the scanned project registers as a
    /// request handler by passing it to a call of one of these (`django.urls.path`), as
    /// argument `registered_arg` or keyword `registered_keyword`. Registrations are read
    /// from every scanned file (`urls.py`), so the function's own module need not mention
    /// them.
    #[serde(default)]
    pub registered_by: Vec<String>,
    /// With `registered_by`: the 0-based position of the handler argument (default 1).
    pub registered_arg: Option<usize>,
    /// With `registered_by`: the keyword that may pass the handler instead (`view`).
    pub registered_keyword: Option<String>,
    /// With `registered_by`: in a module none of whose functions the scan saw registered
    /// (a module scanned without its URL configuration, or registered in a way pyaudit does
    /// not read), functions whose first parameter has this name are taken instead.
    pub fallback_first_param: Option<String>,
    /// With `registered_by` or `decorated_by`: URL parameters that every registration (or
    /// every selecting decorator) of the handler types with one of these route converters
    /// (`<int:pk>` in `path("t/<int:pk>/", f)` or `@app.route("/t/<int:pk>")`) are not
    /// tainted: the framework matched them against the converter's pattern (digits, a UUID)
    /// before the handler runs. The route is the call's first argument, a literal string.
    #[serde(default)]
    pub exempt_converters: Vec<String>,
    /// Function selector: the function is passed by name to a call of one of these
    /// (`graphene.Field(String, resolver=f)`).
    #[serde(default)]
    pub passed_to: Vec<String>,
    /// With `passed_to`: only as one of these keyword arguments (empty: any argument).
    #[serde(default)]
    pub passed_as: Vec<String>,
    /// Parameter selector: only the parameter at this 0-based position (`self` counts).
    pub param_position: Option<usize>,
    /// Parameter selector: only parameters with one of these names.
    #[serde(default)]
    pub param_names: Vec<String>,
    /// Parameter selector: only parameters annotated with one of these types.
    #[serde(default)]
    pub param_annotated: Vec<String>,
    /// Never these parameters (`self`, `info`, `root`, `parent`).
    #[serde(default)]
    pub exclude_params: Vec<String>,
    /// Parameters annotated with one of these types are not tainted (the framework coerces
    /// or validates them: `int`, `uuid.UUID`, a `pydantic.BaseModel` subclass).
    #[serde(default)]
    pub exempt_annotations: Vec<String>,
    /// Parameters whose default value is a call to one of these are not tainted
    /// (`fastapi.Depends`).
    #[serde(default)]
    pub exempt_defaults: Vec<String>,
    /// When given, the selected parameter itself is not tainted: only these attribute paths
    /// read from it are (`GET`, `request.body`, `get_argument` — calling it is a read too).
    #[serde(default)]
    pub attributes: Vec<String>,
}

/// One argument of a sink call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    /// The keyword name.
    pub arg: Option<String>,
    /// The 0-based position.
    pub position: Option<usize>,
    /// When the argument is a list or tuple display, only its first element counts (the
    /// program of an argv).
    #[serde(default)]
    pub head: bool,
    /// Any `**mapping` argument (mass assignment: `Model(**data)`).
    #[serde(default)]
    pub splat: bool,
    /// The object a method is called on (`path.read_text()` with `path` tainted).
    #[serde(default)]
    pub receiver: bool,
}

/// A write of tainted data into an object's attribute that becomes a sink when the object
/// is then persisted: `user.email = value` followed by `user.save()` or `session.commit()`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistSpec {
    /// Methods of the written object that store it (`save`): `user.save()`.
    #[serde(default)]
    pub object_methods: Vec<String>,
    /// Methods (of any receiver) that take the written object as an argument and store it
    /// (`add`, `merge`): `session.add(user)`.
    #[serde(default)]
    pub argument_methods: Vec<String>,
    /// Methods (of any receiver) that store every pending change (`commit`): any local
    /// object written before is reported.
    #[serde(default)]
    pub session_methods: Vec<String>,
}

/// A call whose arguments must not carry tainted data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// Qualified callee names.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Ids of call rules whose matches (with their conditions) are sinks too.
    #[serde(default)]
    pub from_rules: Vec<String>,
    /// Method names on any receiver (`execute` for `cursor.execute`, `session.execute`),
    /// for APIs whose receiver type cannot be resolved statically.
    #[serde(default)]
    pub methods: Vec<String>,
    /// The `methods` are an object's: called on a class or a module (a class of the file, or
    /// an imported CapWords name such as `CompoundID.from_string`), they are another API.
    #[serde(default)]
    pub objects_only: bool,
    /// Reported when an object holding tainted attributes is persisted (see [`PersistSpec`]).
    pub persist: Option<PersistSpec>,
    /// The arguments that must not be tainted; empty means any argument.
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// Conditions on the call, as in call rules; all must hold.
    #[serde(default)]
    pub when: Vec<Spanned<ConditionSpec>>,
    /// What the sink does, for the path ("runs a shell command").
    pub label: String,
    pub severity: Option<Severity>,
    pub confidence: Option<Confidence>,
    pub message: Option<String>,
}

/// Calls whose result is clean, or guard calls that validate their argument in a condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanitizerSpec {
    /// Qualified callee names whose result is clean (`shlex.quote`, `int`,
    /// `pydantic.BaseModel.model_validate`; a class of the file counts as its bases).
    #[serde(default)]
    pub calls: Vec<String>,
    /// Qualified names of validating calls: `if not re.fullmatch(p, x): return` cleans `x`.
    #[serde(default)]
    pub guards: Vec<String>,
    /// Method names that validate their receiver in a condition (`x.isdigit()`).
    #[serde(default)]
    pub guard_methods: Vec<String>,
    /// Qualified names of calls that never return (`flask.abort`, `sys.exit`): after a
    /// guard's failing branch calls one, the code that follows sees the value validated.
    #[serde(default)]
    pub exits: Vec<String>,
    /// Keyword arguments that convert a call's result with the callable they are given:
    /// with `["type"]`, `request.args.get("n", type=int)` is clean when `int` is one of the
    /// sanitizer `calls` (Werkzeug's `get`/`getlist` return `int(value)`).
    #[serde(default)]
    pub converter_args: Vec<String>,
    /// Project validators by name: a function of the scanned project whose lowercase name
    /// starts with one of these (`is_`) ...
    #[serde(default)]
    pub validator_prefixes: Vec<String>,
    /// ... contains one of these (`safe`) ...
    #[serde(default)]
    pub validator_words: Vec<String>,
    /// ... and none of these (`unsafe`), and whose returns decide (see docs/taint.md), is a
    /// guard: `if not is_safe_url(u): abort(400)` cleans `u`.
    #[serde(default)]
    pub validator_exclude: Vec<String>,
    /// Raising checkers by name: a function of the scanned project whose lowercase name
    /// (leading underscores aside) starts with one of these (`validate`), and which raises
    /// unless a test on its argument passes (see docs/taint.md), checks that argument.
    #[serde(default)]
    pub checker_prefixes: Vec<String>,
    /// Whether the rules of this model trust raising checkers: after `validate_url(u)`
    /// returns, `u` is clean for them. Rule-local, for rules where any validation is what
    /// they ask for (a model field, a URL fetched, a path), not an encoding.
    #[serde(default)]
    pub checkers: bool,
}

/// Calls through which taint flows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropagatorSpec {
    /// Qualified callee names whose result is tainted when an argument is.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Method names (on any receiver) whose result is tainted when an argument is.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Method names that store a tainted argument into their receiver (`append`).
    #[serde(default)]
    pub into_receiver: Vec<String>,
}
