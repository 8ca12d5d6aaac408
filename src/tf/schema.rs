//! Attribute builders.
//!
//! Each builder takes a Markdown description: descriptions feed both `terraform providers
//! schema -json` (editors, the language server) and our generated registry docs.

use std::collections::HashMap;

use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};

fn attribute(attr_type: AttributeType, constraint: AttributeConstraint, md: &str) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(md),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

pub fn required(attr_type: AttributeType, md: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Required, md)
}

pub fn optional(attr_type: AttributeType, md: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Optional, md)
}

/// Optional in configuration, filled in by the provider when not set (a default or an API value).
pub fn optional_computed(attr_type: AttributeType, md: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::OptionalComputed, md)
}

pub fn computed(attr_type: AttributeType, md: &str) -> Attribute {
    attribute(attr_type, AttributeConstraint::Computed, md)
}

/// Mark an attribute sensitive: Terraform shows `(sensitive value)` in plans and outputs.
pub fn sensitive(mut attr: Attribute) -> Attribute {
    attr.sensitive = true;
    attr
}

/// A list of objects whose every key is given with its type. Used instead of tf-provider's
/// nested attribute types, which make Terraform 1.0 crash (tf-provider 0.2.2 sets both `type` and
/// `nested_type`).
pub fn object_list(fields: &[(&str, AttributeType)]) -> AttributeType {
    AttributeType::List(Box::new(AttributeType::Object(
        fields
            .iter()
            .map(|(name, t)| ((*name).to_owned(), t.clone()))
            .collect(),
    )))
}

/// A schema at version 1, forever: tf-provider 0.2.2 cannot run state upgraders (`RawValue` is
/// private), so a version bump could never migrate existing states.
pub fn schema(md: &str, attributes: Vec<(&str, Attribute)>) -> Schema {
    Schema {
        version: 1,
        block: Block {
            version: 1,
            attributes: attributes
                .into_iter()
                .map(|(name, a)| (name.to_owned(), a))
                .collect::<HashMap<_, _>>(),
            blocks: HashMap::new(),
            description: Description::markdown(md),
            deprecated: false,
        },
    }
}
