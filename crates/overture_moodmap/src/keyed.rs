//! `{ "name": (…), … }` in RON as a `Vec` of items that carry their name,
//! in the order written (so the first mood stays first).

use std::{fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, Visitor},
    ser::SerializeMap,
};

/// An item written under its name in a RON map.
pub(crate) trait Named {
    fn name(&self) -> &str;
    fn set_name(&mut self, name: String);
}

pub(crate) fn serialize<S, T>(items: &[T], s: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    T: Serialize + Named,
{
    let mut map = s.serialize_map(Some(items.len()))?;
    for item in items {
        map.serialize_entry(item.name(), item)?;
    }
    map.end()
}

pub(crate) fn deserialize<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Named,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Named> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map from names to definitions")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::new();
            while let Some((name, mut item)) = map.next_entry::<String, T>()? {
                item.set_name(name);
                items.push(item);
            }
            Ok(items)
        }
    }
    d.deserialize_map(V(PhantomData))
}
