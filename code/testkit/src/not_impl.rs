//! Compile-time checks that a type does not implement a trait, for types
//! that must stay out of other threads (not `Send`, not `Sync`) or must not
//! hand out what a trait would give (not `DerefMut`).
//!
//! The check is a name that becomes ambiguous if the type implements the
//! trait. A helper trait `AmbiguousIfImplemented<Marker>` has an item and
//! two blanket implementations: one for every type, with `Marker = ()`, and
//! one for every type that implements the trait, with another marker. The
//! macros name the item as `<Type as AmbiguousIfImplemented<_>>::some_item`
//! and let the compiler infer the marker. If the type lacks the trait, only
//! the first implementation applies and the marker is `()`. If it has the
//! trait, both apply, the compiler cannot choose, and compilation stops with
//! error E0283 ("type annotations needed"), pointing at the type and at the
//! two implementations. There is no run-time part: a crate that contains
//! the check compiles only while the type does not implement the trait.
//!
//! Each macro expands to an anonymous `const` item, so it may appear where
//! items may: in a module (a test module, say) or in a function's body.
//!
//! The `compile_fail` examples below show the failing case; rustdoc only
//! checks that they fail, and this module's tests check that the error is
//! E0283.

/// Fails to compile if `$ty` implements `$trait`: see the
/// [module documentation](crate::not_impl) for how.
///
/// ```rust
/// // A `Vec` can be moved out of but not copied.
/// testkit::assert_not_impl!(Vec<u8>: Copy);
/// // A shared reference does not lend mutable access.
/// testkit::assert_not_impl!(&'static [u8]: std::ops::DerefMut);
/// ```
///
/// A type that does implement the trait stops the build:
///
/// ```compile_fail,E0283
/// testkit::assert_not_impl!(Box<u8>: std::ops::DerefMut);
/// ```
#[macro_export]
macro_rules! assert_not_impl {
    ($ty:ty: $trait:path) => {
        const _: () = {
            #[allow(dead_code)]
            trait AmbiguousIfImplemented<Marker> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfImplemented<()> for T {}
            #[allow(dead_code)]
            struct Implemented;
            impl<T: ?Sized + $trait> AmbiguousIfImplemented<Implemented> for T {}
            // Ambiguous, and an error, if both implementations apply.
            let _: fn() = <$ty as AmbiguousIfImplemented<_>>::some_item;
        };
    };
}

/// Fails to compile if `$ty` is `Send`: [`assert_not_impl!`] with
/// `core::marker::Send`.
///
/// ```rust
/// testkit::assert_not_send!(std::rc::Rc<u8>);
/// ```
///
/// ```compile_fail,E0283
/// testkit::assert_not_send!(std::cell::Cell<u8>);
/// ```
#[macro_export]
macro_rules! assert_not_send {
    ($ty:ty) => {
        $crate::assert_not_impl!($ty: ::core::marker::Send);
    };
}

/// Fails to compile if `$ty` is `Sync`: [`assert_not_impl!`] with
/// `core::marker::Sync`.
///
/// ```rust
/// testkit::assert_not_sync!(std::cell::Cell<u8>);
/// ```
///
/// ```compile_fail,E0283
/// testkit::assert_not_sync!(std::sync::Mutex<u8>);
/// ```
#[macro_export]
macro_rules! assert_not_sync {
    ($ty:ty) => {
        $crate::assert_not_impl!($ty: ::core::marker::Sync);
    };
}

#[cfg(test)]
mod tests {
    use crate::rustc::assert_compile_error;
    use std::cell::Cell;
    use std::marker::PhantomData;
    use std::rc::Rc;

    /// A type like chapter 6's `SignalFd`: neither `Send` nor `Sync`
    /// because of a raw-pointer marker.
    #[allow(dead_code)]
    struct StaysOnItsThread {
        fd: i32,
        not_send: PhantomData<*const ()>,
    }

    crate::assert_not_send!(StaysOnItsThread);
    crate::assert_not_sync!(StaysOnItsThread);
    crate::assert_not_send!(Rc<u8>);
    // Two checks in one module do not clash.
    crate::assert_not_sync!(Cell<u8>);
    crate::assert_not_sync!(Rc<u8>);
    crate::assert_not_impl!(Vec<u8>: Copy);
    crate::assert_not_impl!(&'static [u8]: std::ops::DerefMut);

    #[test]
    fn the_check_can_sit_in_a_function() {
        crate::assert_not_send!(PhantomData<*mut u8>);
        // A `Cell` may move to another thread, but not be shared.
        let cell = Cell::new(1);
        std::thread::scope(|scope| scope.spawn(move || cell.set(2)).join().unwrap());
    }

    #[test]
    fn a_type_that_implements_the_trait_fails_to_compile() {
        // This module's macros, then a check that must fail, as a crate of
        // their own.
        let dir = std::env::temp_dir().join(format!("testkit-not-impl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, check) in [
            ("send", "assert_not_send!(std::cell::Cell<u8>);"),
            ("sync", "assert_not_sync!(std::sync::Mutex<u8>);"),
            (
                "deref_mut",
                "assert_not_impl!(Box<u8>: std::ops::DerefMut);",
            ),
        ] {
            let file = dir.join(format!("{name}.rs"));
            let source = format!("{}\n{check}\n", include_str!("not_impl.rs"));
            std::fs::write(&file, source).unwrap();
            assert_compile_error(&file, "E0283");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        // The same type passes the check for a trait it lacks: the error
        // came from the trait, not from the type.
        crate::assert_not_impl!(Box<u8>: Copy);
    }
}
