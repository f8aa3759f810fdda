//! The `///` doc comments of the configuration types, read from the config crate's source with
//! `syn`: every struct's and enum's doc, and each field's and variant's doc and type.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use syn::{Attribute, Expr, Fields, GenericArgument, Item, Lit, Meta, PathArguments, Type};

/// A type as written, reduced to its path's last segment and generic arguments
/// (`Option<Vec<String>>` is `Option` of `Vec` of `String`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ty {
    pub name: String,
    pub args: Vec<Ty>,
}

impl Ty {
    /// The type inside `Option<…>`, or the type itself.
    pub fn unoptional(&self) -> &Ty {
        match (self.name.as_str(), self.args.as_slice()) {
            ("Option", [inner]) => inner,
            _ => self,
        }
    }

    /// `T` of `Vec<T>` (after `Option`), and whether it was a `Vec`.
    pub fn element(&self) -> (&Ty, bool) {
        let ty = self.unoptional();
        match (ty.name.as_str(), ty.args.as_slice()) {
            ("Vec", [inner]) => (inner, true),
            _ => (ty, false),
        }
    }
}

/// A documented field: a struct's or a struct-like variant's.
#[derive(Debug, Clone)]
pub(crate) struct FieldDoc {
    pub name: String,
    pub doc: String,
    pub ty: Ty,
}

/// An enum variant.
#[derive(Debug, Clone)]
pub(crate) struct VariantDoc {
    pub doc: String,
    /// Named fields (`Tcp { host }`).
    pub fields: Vec<FieldDoc>,
    /// Unnamed fields (`Http(HttpMonitor)`).
    pub tuple: Vec<Ty>,
}

/// A struct or an enum.
#[derive(Debug, Clone)]
pub(crate) enum ItemDoc {
    Struct {
        doc: String,
        fields: Vec<FieldDoc>,
    },
    Enum {
        doc: String,
        variants: Vec<VariantDoc>,
    },
}

/// Every struct and enum of a set of source files, by name.
#[derive(Debug, Default)]
pub(crate) struct DocIndex {
    items: BTreeMap<String, Vec<(PathBuf, ItemDoc)>>,
}

impl DocIndex {
    /// Reads every `*.rs` file directly in `dir`.
    pub fn read_dir(dir: &Path) -> Result<DocIndex, String> {
        let mut index = DocIndex::default();
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
        paths.sort();
        for path in paths {
            let text = fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let file = syn::parse_file(&text)
                .map_err(|error| format!("cannot parse {}: {error}", path.display()))?;
            for item in file.items {
                if let Some((name, doc)) = item_doc(&item) {
                    index
                        .items
                        .entry(name)
                        .or_default()
                        .push((path.clone(), doc));
                }
            }
        }
        Ok(index)
    }

    /// The struct or enum named `name`; an error when there is none, or several.
    pub fn get(&self, name: &str) -> Result<&ItemDoc, String> {
        match self.items.get(name).map(Vec::as_slice) {
            Some([(_, item)]) => Ok(item),
            Some(many) if !many.is_empty() => Err(format!(
                "`{name}` is defined in several files of the config crate: {}",
                many.iter()
                    .map(|(path, _)| path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Err(format!(
                "the config crate defines no struct or enum `{name}`"
            )),
        }
    }

    /// The doc and fields of the struct named `name`.
    pub fn get_struct(&self, name: &str) -> Result<(&str, &[FieldDoc]), String> {
        match self.get(name)? {
            ItemDoc::Struct { doc, fields } => Ok((doc, fields)),
            ItemDoc::Enum { .. } => Err(format!("`{name}` is an enum, not a struct")),
        }
    }

    /// The doc and variants of the enum named `name`.
    pub fn get_enum(&self, name: &str) -> Result<(&str, &[VariantDoc]), String> {
        match self.get(name)? {
            ItemDoc::Enum { doc, variants } => Ok((doc, variants)),
            ItemDoc::Struct { .. } => Err(format!("`{name}` is a struct, not an enum")),
        }
    }

    /// True when the index has exactly one struct of this name.
    pub fn is_struct(&self, name: &str) -> bool {
        self.get_struct(name).is_ok()
    }
}

fn item_doc(item: &Item) -> Option<(String, ItemDoc)> {
    match item {
        Item::Struct(item) => Some((
            item.ident.to_string(),
            ItemDoc::Struct {
                doc: doc_of(&item.attrs),
                fields: named_fields(&item.fields),
            },
        )),
        Item::Enum(item) => Some((
            item.ident.to_string(),
            ItemDoc::Enum {
                doc: doc_of(&item.attrs),
                variants: item
                    .variants
                    .iter()
                    .map(|variant| VariantDoc {
                        doc: doc_of(&variant.attrs),
                        fields: named_fields(&variant.fields),
                        tuple: match &variant.fields {
                            Fields::Unnamed(fields) => {
                                fields.unnamed.iter().map(|field| ty(&field.ty)).collect()
                            }
                            _ => Vec::new(),
                        },
                    })
                    .collect(),
            },
        )),
        _ => None,
    }
}

fn named_fields(fields: &Fields) -> Vec<FieldDoc> {
    match fields {
        Fields::Named(fields) => fields
            .named
            .iter()
            .filter_map(|field| {
                Some(FieldDoc {
                    name: field.ident.as_ref()?.to_string(),
                    doc: doc_of(&field.attrs),
                    ty: ty(&field.ty),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The doc comment as one line: its lines joined by spaces, paragraphs too.
fn doc_of(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let Meta::NameValue(meta) = &attr.meta
            && let Expr::Lit(expr) = &meta.value
            && let Lit::Str(text) = &expr.lit
        {
            let line = text.value();
            let line = line.trim();
            if !line.is_empty() {
                lines.push(line.to_owned());
            }
        }
    }
    lines.join(" ")
}

fn ty(ty: &Type) -> Ty {
    match ty {
        Type::Path(path) => match path.path.segments.last() {
            Some(segment) => Ty {
                name: segment.ident.to_string(),
                args: match &segment.arguments {
                    PathArguments::AngleBracketed(args) => args
                        .args
                        .iter()
                        .filter_map(|arg| match arg {
                            GenericArgument::Type(inner) => Some(self::ty(inner)),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                },
            },
            None => unknown(),
        },
        Type::Reference(reference) => self::ty(&reference.elem),
        _ => unknown(),
    }
}

fn unknown() -> Ty {
    Ty {
        name: "?".to_owned(),
        args: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docs_fields_and_types() {
        let file = syn::parse_file(
            "/// `[x]`: a thing.\n/// Second line.\npub struct X {\n    /// The name.\n    \
             ///\n    /// More.\n    pub name: Option<Vec<String>>,\n}\n\
             /// Kinds.\npub enum K {\n    /// `\"a\"`: first.\n    A,\n    /// B.\n    \
             B { /// Host.\n host: String },\n    C(Inner),\n}",
        )
        .expect("parses");
        let items: Vec<_> = file.items.iter().filter_map(item_doc).collect();
        let ItemDoc::Struct { doc, fields } = &items[0].1 else {
            panic!("a struct")
        };
        assert_eq!(doc, "`[x]`: a thing. Second line.");
        assert_eq!(fields[0].doc, "The name. More.");
        let (element, is_vec) = fields[0].ty.element();
        assert!(is_vec);
        assert_eq!(element.name, "String");
        let ItemDoc::Enum { variants, .. } = &items[1].1 else {
            panic!("an enum")
        };
        assert_eq!(variants[0].doc, "`\"a\"`: first.");
        assert_eq!(variants[1].fields[0].name, "host");
        assert_eq!(variants[2].tuple[0].name, "Inner");
    }
}
