//! The Bevy plugin.
