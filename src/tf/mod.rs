//! Our kit over tf-provider.
