//! Drift tests: the hand-written FFI in src/lib.rs must equal include/mixcut/mixcut.h.
//! The header is parsed here; layouts and values come from a C program compiled by the test.
#![allow(non_camel_case_types)]

use mixcut_sys::*;
use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// What mixcut-sys declares. A header item missing from these tables fails a
// test below with a message saying what to add.

/// Rust's view of one struct or enum type: size, alignment, fields (name, offset, size).
struct RustType {
    name: &'static str,
    size: usize,
    align: usize,
    fields: Vec<(&'static str, usize, usize)>,
}

fn field_size<S, F>(_: fn(&S) -> &F) -> usize {
    size_of::<F>()
}

macro_rules! rust_types {
    ($($t:ident { $($f:ident),* })*) => {
        vec![$(RustType {
            name: stringify!($t),
            size: size_of::<$t>(),
            align: align_of::<$t>(),
            fields: vec![$((stringify!($f), offset_of!($t, $f), field_size(|s: &$t| &s.$f))),*],
        }),*]
    };
}

fn rust_types() -> Vec<RustType> {
    rust_types! {
        mixcut_tensor { data, dtype, layout, n, c, h, w, sample_stride }
        mixcut_normalize { mean, std }
        mixcut_mix_policy { mixup_alpha, cutmix_alpha, cutmix_minmax_lo, cutmix_minmax_hi, prob,
                            switch_prob, mode, partner, correct_lam, reserved, partner_index }
        mixcut_mix_sample { partner, lam, kind, y0, x0, y1, x1 }
        mixcut_cutout_policy { form, prob, min_count, max_count, length, scale_lo, scale_hi,
                               ratio_lo, ratio_hi, reserved }
        mixcut_cutout_hole { sample, y0, x0, y1, x1, noise_key }
        mixcut_fill { kind, value, channel_values }
        mixcut_status {} mixcut_isa {} mixcut_backend {} mixcut_option {} mixcut_dtype {}
        mixcut_layout {} mixcut_mode {} mixcut_partner {} mixcut_mix_kind {}
        mixcut_cutout_form {} mixcut_fill_kind {}
    }
}

macro_rules! rust_consts {
    ($($c:ident),* $(,)?) => { vec![$((stringify!($c), $c as i64)),*] };
}

fn rust_consts() -> BTreeMap<&'static str, i64> {
    rust_consts![
        MIXCUT_VERSION_MAJOR,
        MIXCUT_VERSION_MINOR,
        MIXCUT_VERSION_PATCH,
        MIXCUT_VERSION_NUMBER,
        MIXCUT_OK,
        MIXCUT_ERR_NULL_POINTER,
        MIXCUT_ERR_BAD_SIZE,
        MIXCUT_ERR_BAD_DTYPE,
        MIXCUT_ERR_BAD_LAYOUT,
        MIXCUT_ERR_BAD_ENUM,
        MIXCUT_ERR_BAD_PARAM,
        MIXCUT_ERR_BAD_PARTNER,
        MIXCUT_ERR_BAD_LABEL,
        MIXCUT_ERR_BAD_LAM,
        MIXCUT_ERR_BAD_BOX,
        MIXCUT_ERR_SHAPE_MISMATCH,
        MIXCUT_ERR_OVERLAP,
        MIXCUT_ERR_UNSUPPORTED,
        MIXCUT_ERR_OUT_OF_MEMORY,
        MIXCUT_ERR_INTERNAL,
        MIXCUT_ISA_SCALAR,
        MIXCUT_ISA_SSE2,
        MIXCUT_ISA_AVX2,
        MIXCUT_ISA_AVX512,
        MIXCUT_BACKEND_CPU,
        MIXCUT_BACKEND_CUDA,
        MIXCUT_OPT_NUM_THREADS,
        MIXCUT_OPT_MAX_ISA,
        MIXCUT_OPT_BACKEND,
        MIXCUT_OPT_CUDA_STREAM,
        MIXCUT_OPT_STREAM_THRESHOLD,
        MIXCUT_MAX_THREADS,
        MIXCUT_UINT8,
        MIXCUT_FLOAT32,
        MIXCUT_NCHW,
        MIXCUT_NHWC,
        MIXCUT_MODE_BATCH,
        MIXCUT_MODE_PAIR,
        MIXCUT_MODE_ELEM,
        MIXCUT_PARTNER_FLIP,
        MIXCUT_PARTNER_ROLL,
        MIXCUT_PARTNER_PERMUTATION,
        MIXCUT_PARTNER_EXPLICIT,
        MIXCUT_KIND_NONE,
        MIXCUT_KIND_MIXUP,
        MIXCUT_KIND_CUTMIX,
        MIXCUT_CUTOUT_HOLES,
        MIXCUT_CUTOUT_ERASING,
        MIXCUT_FILL_CONSTANT,
        MIXCUT_FILL_CHANNEL,
        MIXCUT_FILL_NOISE,
        MIXCUT_FILL_CHANNEL_NOISE,
    ]
    .into_iter()
    .collect()
}

// ---------------------------------------------------------------------------
// The header, parsed.

const FIX: &str = "bindings/rust/mixcut-sys/src/lib.rs";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// (name, type) of one parameter or field, the type spelled as C spells it.
type Decl = (String, String);

#[derive(Default)]
struct Header {
    functions: BTreeMap<String, (String, Vec<Decl>)>, // name -> (return type, params)
    structs: BTreeMap<String, Vec<Decl>>,             // structs with a body, fields in order
    enums: BTreeMap<String, Vec<String>>,             // enum type -> its constants
    constants: Vec<String>,                           // #defines with a value, enum constants
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("/*") {
            rest = &r[r.find("*/").expect("unterminated comment") + 2..];
            out.push(' ');
        } else if let Some(r) = rest.strip_prefix("//") {
            rest = &r[r.find('\n').unwrap_or(r.len())..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits "const int64_t* partner_index" into ("partner_index", "const int64_t*").
fn declarator(decl: &str) -> Decl {
    let decl = squash(decl);
    let cut = decl
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let ty = decl[..cut].replace(" *", "*");
    (decl[cut..].to_owned(), ty.trim().to_owned())
}

fn parse_header() -> Header {
    let path = root().join("include/mixcut/mixcut.h");
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = strip_comments(&raw);
    let mut h = Header::default();

    // Preprocessor lines (with their continuations) are taken out first.
    let mut code = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with('#') {
            code += line;
            code.push('\n');
            continue;
        }
        let mut directive = line.to_owned();
        while directive.ends_with('\\') {
            directive.pop();
            directive += lines.next().unwrap_or("");
        }
        let words: Vec<&str> = directive.split_whitespace().collect();
        if words.len() > 2 && words[0] == "#define" && words[1].starts_with("MIXCUT_") {
            let name = words[1];
            if name != "MIXCUT_API" && !name.contains('(') {
                h.constants.push(name.to_owned());
            }
        }
    }

    // Structs and enums with a body; the rest splits into declarations at ';'.
    let mut rest = code.as_str();
    let mut plain = String::new();
    while let Some(start) = rest.find("typedef ") {
        plain += &rest[..start];
        let item = &rest[start..];
        let end = item.find(';').unwrap();
        let (open, close) = (item.find('{'), item.find('}'));
        if open.is_none() || open.unwrap() > end {
            rest = &item[end + 1..]; // typedef struct mixcut_ctx mixcut_ctx;
            continue;
        }
        let (open, close) = (open.unwrap(), close.unwrap());
        let head = squash(&item[..open]);
        let body = &item[open + 1..close];
        let name = head
            .split(' ')
            .nth(2)
            .expect("typedef struct|enum NAME {")
            .to_owned();
        if head.starts_with("typedef struct") {
            let mut fields = Vec::new();
            for stmt in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                let mut parts = stmt.split(',');
                let (first, ty) = declarator(parts.next().unwrap());
                fields.push((first, ty.clone()));
                let base = ty.trim_end_matches('*').to_owned();
                for more in parts {
                    let stars = more.trim().chars().take_while(|&c| c == '*').count();
                    let name = more.trim().trim_start_matches('*').trim().to_owned();
                    fields.push((name, format!("{base}{}", "*".repeat(stars))));
                }
            }
            h.structs.insert(name, fields);
        } else {
            let mut names = Vec::new();
            for entry in body.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (constant, value) = entry.split_once('=').unwrap_or_else(|| {
                    panic!("{name}: {entry} has no explicit value; public enum values are pinned")
                });
                let _ = value;
                names.push(constant.trim().to_owned());
            }
            h.constants.extend(names.iter().cloned());
            h.enums.insert(name, names);
        }
        rest = &item[item[close..].find(';').unwrap() + close + 1..];
    }
    plain += rest;

    for stmt in plain.split(';').map(squash) {
        let Some(at) = stmt.find("MIXCUT_API ") else {
            continue;
        };
        let decl = &stmt[at + "MIXCUT_API ".len()..];
        let open = decl.find('(').unwrap();
        let (name, ret) = declarator(&decl[..open]);
        let inner = decl[open + 1..decl.rfind(')').unwrap()].trim();
        let params = if inner == "void" {
            Vec::new()
        } else {
            inner.split(',').map(declarator).collect()
        };
        h.functions.insert(name, (ret, params));
    }
    h
}

/// The Rust spelling mixcut-sys must use for a C type: `const T*` is `*const T`.
fn rust_type(c_type: &str) -> String {
    // "const void* const*" splits into the base "const void" and one part per
    // '*' level: level k points at const data when the part before it says so.
    let parts: Vec<&str> = c_type.split('*').map(str::trim).collect();
    let (base_const, base) = match parts[0].strip_prefix("const ") {
        Some(b) => (true, b.trim()),
        None => (false, parts[0]),
    };
    let mapped = match base {
        "void" if parts.len() == 1 => "()",
        "void" => "c_void",
        "char" => "c_char",
        "unsigned" => "c_uint",
        "float" => "f32",
        "int32_t" => "i32",
        "int64_t" => "i64",
        "uint64_t" => "u64",
        other if other.starts_with("mixcut_") => other,
        other => {
            panic!("drift test: no Rust spelling for the C type `{other}`; extend rust_type()")
        }
    };
    let mut out = mapped.to_owned();
    let mut pointee_const = base_const;
    for part in &parts[1..] {
        out = format!("*{} {out}", if pointee_const { "const" } else { "mut" });
        pointee_const = *part == "const";
    }
    out
}

// ---------------------------------------------------------------------------
// mixcut-sys's source, parsed for the spelled types (layouts are compared on
// the compiled items above).

struct RustSource {
    functions: BTreeMap<String, (String, Vec<Decl>)>,
    fields: BTreeMap<String, Vec<Decl>>,
}

fn parse_rust_source() -> RustSource {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let text = strip_comments(&std::fs::read_to_string(&path).unwrap());
    let mut functions = BTreeMap::new();
    let block = text.find("extern \"C\" {").expect("an extern \"C\" block");
    let block = &text[block..text[block..].find("\n}").unwrap() + block];
    for stmt in block.split(';').map(squash) {
        let Some(at) = stmt.find("pub fn ") else {
            continue;
        };
        let sig = &stmt[at + 7..];
        let open = sig.find('(').unwrap();
        let close = sig.rfind(')').unwrap();
        let params = sig[open + 1..close]
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, t) = p.split_once(':').unwrap();
                (n.trim().to_owned(), squash(t))
            })
            .collect();
        let ret = sig[close + 1..]
            .trim()
            .strip_prefix("->")
            .map_or("()".to_owned(), squash);
        functions.insert(sig[..open].trim().to_owned(), (ret, params));
    }
    let mut fields = BTreeMap::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("pub struct ") {
        let item = &rest[at + 11..];
        let open = item.find('{').unwrap();
        let close = item.find('}').unwrap();
        let decls = item[open + 1..close]
            .split(',')
            .filter_map(|f| f.trim().strip_prefix("pub "))
            .map(|f| {
                let (n, t) = f.split_once(':').unwrap();
                (n.trim().to_owned(), squash(t))
            })
            .collect();
        fields.insert(item[..open].trim().to_owned(), decls);
        rest = &item[close..];
    }
    RustSource { functions, fields }
}

// ---------------------------------------------------------------------------
// The C compiler's view: a program printing sizes, offsets and values.

/// "size T", "align T", "offset T.f", "size T.f", "value NAME" -> number. Compiled
/// once per test binary (the tests run in parallel).
fn c_facts(h: &Header) -> &'static BTreeMap<String, i64> {
    static FACTS: OnceLock<BTreeMap<String, i64>> = OnceLock::new();
    FACTS.get_or_init(|| compile_and_run(h))
}

fn compile_and_run(h: &Header) -> BTreeMap<String, i64> {
    let mut src = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include <mixcut/mixcut.h>\nint main(void) {\n",
    );
    let names = h.structs.keys().chain(h.enums.keys());
    for t in names {
        src += &format!(
            "  printf(\"size {t} %zu\\nalign {t} %zu\\n\", sizeof({t}), _Alignof({t}));\n"
        );
    }
    for (t, fields) in &h.structs {
        for (f, _) in fields {
            src += &format!(
                "  printf(\"offset {t}.{f} %zu\\nsize {t}.{f} %zu\\n\", offsetof({t}, {f}), \
                 sizeof((({t}*)0)->{f}));\n"
            );
        }
    }
    for c in &h.constants {
        src += &format!("  printf(\"value {c} %lld\\n\", (long long)({c}));\n");
    }
    src += "  return 0;\n}\n";

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drift");
    std::fs::create_dir_all(&dir).unwrap();
    let (c_file, exe) = (dir.join("layout.c"), dir.join("layout"));
    std::fs::write(&c_file, src).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(root().join("include"))
        .arg(&c_file)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("drift test needs a C compiler: could not run `{cc}`: {e}"));
    assert!(
        out.status.success(),
        "{cc} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The tests. Each collects every difference, then fails once listing them.

fn report(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what}: mixcut-sys differs from include/mixcut/mixcut.h; fix {FIX} (and the tables in \
         mixcut-sys/tests/drift.rs):\n  {}\n",
        problems.join("\n  ")
    );
}

#[test]
fn every_header_function_is_declared_with_the_same_signature() {
    let h = parse_header();
    let rs = parse_rust_source();
    // Every line that starts a declaration was parsed into one.
    let header = std::fs::read_to_string(root().join("include/mixcut/mixcut.h")).unwrap();
    let declared = header
        .lines()
        .filter(|l| l.starts_with("MIXCUT_API "))
        .count();
    assert_eq!(
        h.functions.len(),
        declared,
        "the header parser missed a declaration"
    );
    let mut problems = Vec::new();
    for (name, (ret, params)) in &h.functions {
        let Some((rs_ret, rs_params)) = rs.functions.get(name) else {
            let sig: Vec<String> = params
                .iter()
                .map(|(n, t)| format!("{n}: {}", rust_type(t)))
                .collect();
            problems.push(format!(
                "missing: pub fn {name}({}) -> {}; ({} parameters)",
                sig.join(", "),
                rust_type(ret),
                params.len()
            ));
            continue;
        };
        if rs_params.len() != params.len() {
            problems.push(format!(
                "{name}: {} parameters in the header, {} in mixcut-sys",
                params.len(),
                rs_params.len()
            ));
            continue;
        }
        if squash(&rust_type(ret)) != *rs_ret {
            problems.push(format!(
                "{name}: returns {ret} (Rust {}), mixcut-sys says {rs_ret}",
                rust_type(ret)
            ));
        }
        for (i, ((pn, pt), (_, rt))) in params.iter().zip(rs_params).enumerate() {
            if squash(&rust_type(pt)) != *rt {
                problems.push(format!(
                    "{name}: parameter {i} `{pn}` is `{pt}` (Rust `{}`), mixcut-sys says `{rt}`",
                    rust_type(pt)
                ));
            }
        }
    }
    for name in rs
        .functions
        .keys()
        .filter(|n| !h.functions.contains_key(*n))
    {
        problems.push(format!(
            "{name} is declared in mixcut-sys but not in the header"
        ));
    }
    report("functions", problems);
}

#[test]
fn every_struct_and_enum_type_has_the_c_layout() {
    let h = parse_header();
    let rs = parse_rust_source();
    let facts = c_facts(&h);
    let ours: BTreeMap<_, _> = rust_types().into_iter().map(|t| (t.name, t)).collect();
    let mut problems = Vec::new();
    let expect = |problems: &mut Vec<String>, key: String, rust: usize| {
        if facts[&key] != rust as i64 {
            problems.push(format!("{key}: C {}, Rust {rust}", facts[&key]));
        }
    };
    for name in h.structs.keys().chain(h.enums.keys()) {
        let Some(t) = ours.get(name.as_str()) else {
            problems.push(format!(
                "missing: the type {name} (and its row in rust_types())"
            ));
            continue;
        };
        expect(&mut problems, format!("size {name}"), t.size);
        expect(&mut problems, format!("align {name}"), t.align);
        for (f, offset, size) in &t.fields {
            if facts.contains_key(&format!("offset {name}.{f}")) {
                expect(&mut problems, format!("offset {name}.{f}"), *offset);
                expect(&mut problems, format!("size {name}.{f}"), *size);
            }
        }
    }
    for (name, fields) in &h.structs {
        let c_names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        let rust_names: Vec<&str> = ours
            .get(name.as_str())
            .map_or(vec![], |t| t.fields.iter().map(|f| f.0).collect());
        if c_names != rust_names {
            problems.push(format!(
                "{name}: fields {c_names:?} in the header, {rust_names:?} in mixcut-sys"
            ));
        }
        let spelled = rs.fields.get(name).cloned().unwrap_or_default();
        for ((f, ct), (_, rt)) in fields.iter().zip(&spelled) {
            if squash(&rust_type(ct)) != *rt {
                problems.push(format!(
                    "{name}.{f}: `{ct}` in the header (Rust `{}`), `{rt}` in mixcut-sys",
                    rust_type(ct)
                ));
            }
        }
    }
    for name in ours
        .keys()
        .filter(|n| !h.structs.contains_key(**n) && !h.enums.contains_key(**n))
    {
        problems.push(format!("{name} is in mixcut-sys but not in the header"));
    }
    report("struct and enum layouts", problems);
}

#[test]
fn every_constant_has_the_c_value() {
    let h = parse_header();
    let facts = c_facts(&h);
    let ours = rust_consts();
    let mut problems = Vec::new();
    for c in &h.constants {
        let value = facts[&format!("value {c}")];
        match ours.get(c.as_str()) {
            None => problems.push(format!("missing: pub const {c} = {value}")),
            Some(&v) if v != value => problems.push(format!("{c}: C {value}, Rust {v}")),
            _ => {}
        }
    }
    for c in ours.keys().filter(|c| !h.constants.iter().any(|h| h == *c)) {
        problems.push(format!("{c} is in mixcut-sys but not in the header"));
    }
    report("constants", problems);
}

#[test]
fn crate_versions_are_the_header_version() {
    let facts = c_facts(&parse_header());
    let header = format!(
        "{}.{}.{}",
        facts["value MIXCUT_VERSION_MAJOR"],
        facts["value MIXCUT_VERSION_MINOR"],
        facts["value MIXCUT_VERSION_PATCH"]
    );
    assert_eq!(
        env!("CARGO_PKG_VERSION"),
        header,
        "set [workspace.package] version in bindings/rust/Cargo.toml to the header's version"
    );
}

#[test]
fn the_linked_library_is_this_version() {
    // SAFETY: both return static data and take no arguments.
    let (number, text) = unsafe {
        (
            mixcut_version(),
            std::ffi::CStr::from_ptr(mixcut_version_string()),
        )
    };
    assert_eq!(
        number, MIXCUT_VERSION_NUMBER,
        "libmixcut is version {text:?}"
    );
    assert_eq!(text.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}
