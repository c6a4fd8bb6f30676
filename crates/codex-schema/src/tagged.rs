//! Lenient `type`-tagged enums: known variants are typed, anything else round-trips as raw JSON.
//!
//! serde's internally tagged enums cannot keep an unknown variant's payload, and untagged enums
//! hide real decode errors behind the first variant that happens to fit. The [`tagged_enum!`]
//! macro generates what we want instead: dispatch on the `type` field, a typed value for every
//! known tag, and the caller-supplied "unknown" variant (holding the untouched JSON) for any
//! other tag or for a known tag whose payload does not fit its type.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Serializes `inner` with a leading `"type": tag` field.
pub(crate) fn serialize_tagged<S, T>(serializer: S, tag: &str, inner: &T) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: Serialize,
{
    #[derive(Serialize)]
    struct Tagged<'a, T> {
        #[serde(rename = "type")]
        ty: &'a str,
        #[serde(flatten)]
        inner: &'a T,
    }
    Tagged { ty: tag, inner }.serialize(serializer)
}

/// Puts `"type": tag` back at the front of an object whose typed decode failed.
pub(crate) fn restore_tag(tag: String, map: Map<String, Value>) -> Value {
    let mut out = Map::with_capacity(map.len() + 1);
    out.insert("type".to_owned(), Value::String(tag));
    out.extend(map);
    Value::Object(out)
}

/// A string read borrowed from the input when it has no escapes (a map key or the tag).
pub(crate) struct StrSeed;

impl<'de> serde::de::DeserializeSeed<'de> for StrSeed {
    type Value = std::borrow::Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrSeed {
    type Value = std::borrow::Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(v))
    }
}

/// Reads the value of a named field into its slot; a second one is an error (as serde's
/// derive has it).
pub(crate) fn read_once<'de, A: serde::de::MapAccess<'de>, T: serde::Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(<A::Error as serde::de::Error>::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Writes out the `Deserialize` of a struct of named fields and a flattened `extra` (a
/// `Map<String, Value>`), optionally generic over one type, reading as the derive does: a
/// `required` field missing is an error, a `default` one is its default (`None` for an
/// `Option`), a named field given twice is an error, and any other key goes into `extra` (the
/// last of a repeated one wins, in the place of its first). Unlike the derive, it reads each
/// value straight from the input: serde's `flatten` first buffers every field of the object
/// (a long answer's text, a response's echoed instructions and tools) in an intermediate form.
macro_rules! read_with_extra {
    ($name:ident $(<$g:ident>)?, $expecting:literal, { $($field:ident: $kind:ident),+ $(,)? }) => {
        impl<'de $(, $g: ::serde::Deserialize<'de> + Default)?> ::serde::Deserialize<'de> for $name $(<$g>)? {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Fields<T>(::std::marker::PhantomData<T>);

                impl<'de $(, $g: ::serde::Deserialize<'de> + Default)?> ::serde::de::Visitor<'de>
                    for Fields<$name $(<$g>)?>
                {
                    type Value = $name $(<$g>)?;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        $( let mut $field = None; )+
                        let mut extra = ::serde_json::Map::new();
                        while let Some(key) = map.next_key_seed($crate::tagged::StrSeed)? {
                            match &*key {
                                $( stringify!($field) => {
                                    $crate::tagged::read_once(&mut map, &mut $field, stringify!($field))?
                                } )+
                                _ => {
                                    let value: ::serde_json::Value = map.next_value()?;
                                    extra.insert(key.into_owned(), value);
                                }
                            }
                        }
                        Ok($name { $( $field: $crate::tagged::read_with_extra!(@finish A $kind $field), )+ extra })
                    }
                }

                deserializer.deserialize_map(Fields(::std::marker::PhantomData))
            }
        }
    };
    (@finish $a:ident required $field:ident) => {
        $field.ok_or_else(|| <$a::Error as ::serde::de::Error>::missing_field(stringify!($field)))?
    };
    (@finish $a:ident default $field:ident) => {
        $field.unwrap_or_default()
    };
}

pub(crate) use read_with_extra;

/// A string field read borrowed from the input when it has no escapes.
///
/// serde borrows a `Cow<str>` field only when it is the field's whole type: inside an
/// `Option` it always allocates. `Option<BorrowedStr>` borrows.
pub(crate) struct BorrowedStr<'a>(pub(crate) std::borrow::Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for BorrowedStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::DeserializeSeed::deserialize(StrSeed, deserializer).map(BorrowedStr)
    }
}

/// The rest of an object whose leading `type` has been read. A repeated `type` key is an
/// error: the general path (where the last one wins) decides such an object.
pub(crate) struct SkipType<A>(pub(crate) A);

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for SkipType<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        use serde::de::{Error, IntoDeserializer};
        match self.0.next_key_seed(StrSeed)? {
            None => Ok(None),
            Some(key) if key == "type" => Err(A::Error::custom("`type` appears twice")),
            Some(std::borrow::Cow::Borrowed(key)) => {
                seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(key)).map(Some)
            }
            Some(std::borrow::Cow::Owned(key)) => seed.deserialize(key.into_deserializer()).map(Some),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.next_value_seed(seed)
    }
}

/// Reads `text`, a JSON object whose first key is `type` with the value `tag`, into a `T` from
/// its other keys: what [`tagged_enum!`]'s fast path does for the variant of that tag, with
/// `T` free to read less (or keep text borrowed). `None` when `text` is not such an object,
/// `T` does not fit, or a second `type` follows.
pub(crate) fn parse_tagged_rest<'de, T: serde::Deserialize<'de>>(text: &'de str, tag: &str) -> Option<T> {
    struct Rest<'t, T>(&'t str, std::marker::PhantomData<T>);

    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Rest<'_, T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            match map.next_key_seed(StrSeed)? {
                Some(key) if key == "type" => {}
                _ => return Ok(None),
            }
            if map.next_value_seed(StrSeed)? != self.0 {
                return Ok(None);
            }
            T::deserialize(serde::de::value::MapAccessDeserializer::new(SkipType(map))).map(Some)
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde::Deserializer::deserialize_map(&mut deserializer, Rest(tag, std::marker::PhantomData))
        .ok()??;
    deserializer.end().ok()?;
    Some(value)
}

/// Generates a `type`-tagged enum with typed known variants and one unknown variant.
///
/// The caller implements, on the enum, `fn from_unknown(tag: Option<String>, raw: Value) -> Self`,
/// `fn unknown_raw(&self) -> &Value` (only called on the unknown variant) and
/// `const DEFAULT_TAG: Option<&'static str>` (the tag assumed when `type` is absent).
///
/// A variant written `Variant(Type) = "tag" => reader` has its payload read by
/// `reader(deserializer)` on `from_json_str`'s fast path instead of by `Type`'s
/// `Deserialize`. That deserializer reads the JSON text itself (it can lend raw values), and
/// the reader must give what `Type`'s `Deserialize` gives, or fail: a failure hands the text to
/// the general path.
macro_rules! tagged_enum {
    // How the fast path reads a variant's payload: its own reader when it has one.
    (@payload $ty:ty, $rest:ident) => {
        <$ty as ::serde::Deserialize>::deserialize($rest)
    };
    (@payload $ty:ty, $rest:ident, $reader:path) => {
        $reader($rest)
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($ty:ty) = $tag:literal $(=> $reader:path)?, )+
            @unknown $(#[$umeta:meta])* $uvariant:ident $ubody:tt
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant($ty), )+
            $(#[$umeta])* $uvariant $ubody,
        }

        impl $name {
            /// The wire tags this enum decodes into typed variants.
            pub const KNOWN_TYPES: &'static [&'static str] = &[$($tag),+];

            /// Decodes one JSON value; never fails (unknown shapes keep their raw JSON).
            pub fn from_json(value: ::serde_json::Value) -> Self {
                let ::serde_json::Value::Object(mut map) = value else {
                    return Self::from_unknown(None, value);
                };
                let tag = match map.shift_remove("type") {
                    Some(::serde_json::Value::String(tag)) => tag,
                    Some(other) => {
                        map.insert("type".to_owned(), other);
                        return Self::from_unknown(None, ::serde_json::Value::Object(map));
                    }
                    None => match Self::DEFAULT_TAG {
                        Some(default) => {
                            let object = ::serde_json::Value::Object(map);
                            return match default {
                                $( $tag => match <$ty as ::serde::Deserialize>::deserialize(&object) {
                                    Ok(inner) => Self::$variant(inner),
                                    Err(_) => Self::from_unknown(None, object),
                                }, )+
                                _ => Self::from_unknown(None, object),
                            };
                        }
                        None => return Self::from_unknown(None, ::serde_json::Value::Object(map)),
                    },
                };
                let object = ::serde_json::Value::Object(map);
                match tag.as_str() {
                    $( $tag => {
                        if let Ok(inner) = <$ty as ::serde::Deserialize>::deserialize(&object) {
                            return Self::$variant(inner);
                        }
                    } )+
                    _ => {}
                }
                let ::serde_json::Value::Object(map) = object else { unreachable!("built as an object above") };
                Self::from_unknown(Some(tag.clone()), $crate::tagged::restore_tag(tag, map))
            }

            /// Decodes JSON text; fails only when the text is not JSON.
            ///
            /// Same result as parsing a [`Value`](::serde_json::Value) and calling
            /// [`from_json`](Self::from_json), without building the `Value` when the object
            /// starts with a string `type` of a known variant whose payload fits (the shape the
            /// backend sends): one pass over the text.
            pub fn from_json_str(text: &str) -> Result<Self, ::serde_json::Error> {
                if let Some(value) = Self::from_type_first_str(text) {
                    return Ok(value);
                }
                ::serde_json::from_str::<::serde_json::Value>(text).map(Self::from_json)
            }

            /// The fast path of [`from_json_str`](Self::from_json_str); `None` hands the text
            /// to the general path.
            fn from_type_first_str(text: &str) -> Option<Self> {
                struct TypeFirst;
                impl<'de> ::serde::de::Visitor<'de> for TypeFirst {
                    type Value = Option<$name>;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("an object")
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                        match map.next_key_seed($crate::tagged::StrSeed)? {
                            Some(key) if key == "type" => {}
                            _ => return Ok(None),
                        }
                        let tag = map.next_value_seed($crate::tagged::StrSeed)?;
                        let rest = ::serde::de::value::MapAccessDeserializer::new($crate::tagged::SkipType(map));
                        Ok(match &*tag {
                            $( $tag => Some($name::$variant($crate::tagged::tagged_enum!(@payload $ty, rest $(, $reader)?)?)), )+
                            _ => None,
                        })
                    }
                }
                let mut deserializer = ::serde_json::Deserializer::from_str(text);
                let value = ::serde::Deserializer::deserialize_map(&mut deserializer, TypeFirst).ok()??;
                deserializer.end().ok()?;
                Some(value)
            }

            /// The wire `type` of this value (`None` for an unknown value without one).
            pub fn type_name(&self) -> Option<&str> {
                match self {
                    $( Self::$variant(_) => Some($tag), )+
                    _ => self.unknown_raw().get("type").and_then(::serde_json::Value::as_str),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(inner) => $crate::tagged::serialize_tagged(serializer, $tag, inner), )+
                    _ => ::serde::Serialize::serialize(self.unknown_raw(), serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from_json(value))
            }
        }

        #[cfg(feature = "json-schema")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let variants = vec![
                    $( ::schemars::json_schema!({
                        "allOf": [
                            {
                                "type": "object",
                                "properties": { "type": { "const": $tag } },
                                "required": ["type"]
                            },
                            generator.subschema_for::<$ty>()
                        ]
                    }), )+
                    ::schemars::json_schema!({
                        "description": concat!("Any other `", stringify!($name), "`, kept as raw JSON."),
                        "type": "object"
                    }),
                ];
                ::schemars::json_schema!({ "anyOf": variants })
            }
        }
    };
}

pub(crate) use tagged_enum;
