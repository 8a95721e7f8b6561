//! Checks that need the whole database: `Fields`/`Mapping` references and shared encodings.
//! They run after every input file has been parsed, so a reference may point forwards or into
//! another file.

use crate::diagnostic::{Code, Diagnostics, Note};
use crate::ir::{Database, RegisterBody};
use crate::source::Span;
use std::collections::HashMap;

/// Resolves `Fields` and `Mapping` references to indices (`register` and `field_set` find the
/// index of a name), reporting those that name nothing.
pub(crate) fn resolve_references(
    db: &mut Database,
    diags: &mut Diagnostics,
    register: impl Fn(&str) -> Option<usize>,
    field_set: impl Fn(&str) -> Option<usize>,
) {
    for reg in &mut db.registers {
        let (reference, target, code, kind) = match &mut reg.body {
            RegisterBody::Layout(_) => continue,
            RegisterBody::Fields(r) => {
                let target = field_set(&r.name);
                (r, target, Code::UnknownFieldSet, "SysregFields")
            }
            RegisterBody::Mapping(r) => {
                let target = register(&r.name);
                (r, target, Code::UnknownMappingTarget, "Sysreg")
            }
        };
        reference.target = target;
        if reference.target.is_none() {
            let directive = if code == Code::UnknownFieldSet {
                "Fields"
            } else {
                "Mapping"
            };
            let span = Span {
                loc: reference.loc,
                len: reference.name.chars().count() as u32,
            };
            diags.report(
                code,
                span,
                format!(
                    "`{directive} {}` in `{}` names no {kind} block",
                    reference.name, reg.name
                ),
                format!("the name of a {kind} defined in the input"),
                Vec::new(),
            );
        }
    }
}

/// Warns about registers that share an encoding: an MRS/MSR can only reach one of them.
pub(crate) fn check_encodings(db: &Database, diags: &mut Diagnostics) {
    let mut first = HashMap::with_capacity(db.registers.len());
    for reg in &db.registers {
        // One word to hash rather than five bytes.
        let e = reg.encoding;
        let key = u64::from_le_bytes([e.op0, e.op1, e.crn, e.crm, e.op2, 0, 0, 0]);
        if let Some(prev) = first.insert(key, reg) {
            first.insert(key, prev);
            diags.report(
                Code::DuplicateEncoding,
                Span {
                    loc: reg.loc,
                    len: 6,
                },
                format!(
                    "`{}` has the encoding {} of `{}`",
                    reg.name, reg.encoding, prev.name
                ),
                "an encoding no other register uses",
                vec![Note {
                    span: Some(Span {
                        loc: prev.loc,
                        len: 6,
                    }),
                    message: format!("`{}` is defined here", prev.name),
                }],
            );
        }
    }
}
