//! Following the fds of a group of objects that are dropped one by one, in
//! every order, to show that each fd is closed exactly once, when the last
//! object that keeps it open goes, and that nothing else is touched.
//!
//! A test names its objects (a loop, its handles, its signals...), builds
//! them, and [`track`](FdLedger::track)s each fd they opened with the
//! objects that keep it open: the fd must be open while any of them is
//! alive, and closed from the moment the last one is dropped. After each
//! drop, [`check`](FdLedger::check) compares the process with that model:
//!
//! - an fd that should be open is open, and is the same file as when it
//!   was tracked (`fstat`: device, inode, type);
//! - an fd that should be closed is closed (`fcntl(F_GETFD)` fails with
//!   `EBADF`);
//! - a closed fd's number is then filled with a *sentinel*, `/dev/null`
//!   opened again and again until the number is taken (the kernel hands out
//!   the lowest free number). An object that closes a number a second time,
//!   later, closes a sentinel; every check first makes sure every sentinel
//!   is still open and still `/dev/null`;
//! - with [`counting_closes`](FdLedger::counting_closes), and the test
//!   binary's `close` counted ([`count_closes!`](crate::count_closes)), each
//!   fd that should be closed was closed by exactly one successful `close`,
//!   one that should be open by none, and no `close` failed (`EBADF`) since
//!   the ledger began: a second `close` right after the first, which no
//!   sentinel can catch, is caught here;
//! - for an epoll instance that is open, its interest list (from
//!   `/proc/self/fdinfo`) holds exactly the tracked fds that should be
//!   listed;
//! - every other fd of the process is as it was before the objects were
//!   built (`/proc/self/fd`).
//!
//! [`drop_in_every_order`] runs the whole procedure for every order of a
//! group of [`Objects`].
//!
//! Run it inside [`assert_no_fd_leaks`](crate::assert_no_fd_leaks), which
//! also keeps other tests of the binary from opening fds meanwhile, and
//! preferably in a binary without the test harness
//! ([`single_thread`](crate::single_thread)): when a check fails, the
//! objects dropped while its panic unwinds may close a number a second
//! time, and the standard library answers that (in debug builds) by
//! aborting the process, which loses the output the harness captured,
//! the check's message included.

use crate::fds::{OpenFd, open_fds};
use crate::interpose;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};

/// Every order of `0..n`, in lexicographic order: `n!` of them.
pub fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    let mut order: Vec<usize> = (0..n).collect();
    loop {
        all.push(order.clone());
        // The next permutation: the last ascent, swapped with the last
        // element above it, and the tail reversed.
        let Some(i) = (1..n).rev().find(|&i| order[i - 1] < order[i]) else {
            return all;
        };
        let j = (i..n)
            .rev()
            .find(|&j| order[j] > order[i - 1])
            .expect("order[i] is one");
        order.swap(i - 1, j);
        order[i..].reverse();
    }
}

/// A group of objects that [`drop_in_every_order`] takes apart.
pub trait Objects {
    /// Drops object `object` (an index into the names given to
    /// [`drop_in_every_order`]), which is still alive.
    fn drop_object(&mut self, object: usize);

    /// Uses every object still alive, as a program might after the
    /// others are gone. It may open fds, and must close them again.
    fn use_what_is_left(&mut self);
}

/// For every order of the objects named `objects`: a new ledger that
/// counts closes (the binary must invoke
/// [`count_closes!`](crate::count_closes)), the objects from `build` (which
/// tracks their fds in it), a check, a use of everything, a check; then,
/// for each object in that order, its drop, a check, a use of what is
/// left, a check; and the ledger's [`finish`](FdLedger::finish). Returns
/// how many orders it went through.
pub fn drop_in_every_order<T: Objects>(
    objects: &[&str],
    mut build: impl FnMut(&mut FdLedger) -> T,
) -> usize {
    let orders = permutations(objects.len());
    for order in &orders {
        let mut ledger = FdLedger::new(objects).counting_closes();
        let mut built = build(&mut ledger);
        ledger.check("built");
        built.use_what_is_left();
        ledger.check("built, and used");
        for &object in order {
            built.drop_object(object);
            ledger.dropped(object);
            ledger.check(&format!("after dropping the {}", objects[object]));
            built.use_what_is_left();
            ledger.check(&format!(
                "after using what outlived the {}",
                objects[object]
            ));
        }
        ledger.finish();
    }
    orders.len()
}

/// What `fstat` says identifies an open file: device, inode and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    mode: u32,
}

/// `fstat(fd)`, or the error: `EBADF` if `fd` is not open.
fn identity(fd: RawFd) -> io::Result<Identity> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `stat` is room for one `struct stat`, which fstat fills in
    // when it returns 0; a number that is not open is answered with EBADF.
    let ret = unsafe { libc::fstat(fd, stat.as_mut_ptr()) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat returned 0, so it filled the whole struct.
    let stat = unsafe { stat.assume_init() };
    Ok(Identity {
        dev: stat.st_dev,
        ino: stat.st_ino,
        mode: stat.st_mode & libc::S_IFMT,
    })
}

/// Whether `fd` is open: `fcntl(F_GETFD)` succeeds, or fails with `EBADF`.
fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD reads the fd's flags and touches no memory.
    let ret = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if ret >= 0 {
        return true;
    }
    let err = io::Error::last_os_error();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF), "fcntl({fd}): {err}");
    false
}

struct Tracked {
    name: String,
    fd: RawFd,
    identity: Identity,
    /// Open while any of these objects is alive.
    open_while: Vec<usize>,
    /// In the interest list of the tracked epoll instance while any of
    /// these is alive (and the fd is open).
    listed_while: Vec<usize>,
    /// `interpose::closes(fd)` when it was tracked.
    closes_before: u64,
}

/// The fds of a group of objects, and what must become of them as the
/// objects are dropped: see the [module documentation](self).
pub struct FdLedger {
    objects: Vec<String>,
    alive: Vec<bool>,
    /// Dropped so far, in order, for messages.
    history: Vec<usize>,
    baseline: Vec<OpenFd>,
    tracked: Vec<Tracked>,
    /// The index in `tracked` of the epoll instance whose interest list is
    /// checked.
    epoll: Option<usize>,
    /// Numbers the ledger opened `/dev/null` on, closed by its `Drop`
    /// (not `OwnedFd`s: when the code under test closes one by mistake,
    /// the ledger must not abort the process by closing it again).
    sentinels: Vec<RawFd>,
    dev_null: Identity,
    counting_closes: bool,
    failed_closes_before: u64,
}

impl FdLedger {
    /// A ledger for objects with these names (index `i` is `objects[i]`),
    /// all alive. Call it before building them: every fd opened from now
    /// on must be tracked, or closed again, before the first check.
    pub fn new(objects: &[&str]) -> FdLedger {
        let dev_null = {
            let file = fs::File::open("/dev/null").expect("opening /dev/null");
            identity(file.as_raw_fd()).expect("fstat(/dev/null)")
        };
        FdLedger {
            objects: objects.iter().map(|name| name.to_string()).collect(),
            alive: vec![true; objects.len()],
            history: Vec::new(),
            baseline: open_fds(),
            tracked: Vec::new(),
            epoll: None,
            sentinels: Vec::new(),
            dev_null,
            counting_closes: false,
            failed_closes_before: interpose::failed_closes(),
        }
    }

    /// Also checks every `close` of the process, as counted by
    /// [`count_closes!`](crate::count_closes), which the test binary must
    /// invoke; panics if `close` is not counted.
    pub fn counting_closes(mut self) -> FdLedger {
        let probe = fs::File::open("/dev/null").expect("opening /dev/null");
        let fd = probe.as_raw_fd();
        let before = interpose::closes(fd);
        drop(probe);
        assert_eq!(
            interpose::closes(fd),
            before + 1,
            "close is not counted: invoke testkit::count_closes!() in the test binary"
        );
        self.counting_closes = true;
        self.failed_closes_before = interpose::failed_closes();
        self
    }

    /// Tracks `fd`, which must be open now: it must stay open while any of
    /// the objects `open_while` is alive, and be in the tracked epoll
    /// instance's interest list while any of `listed_while` is.
    pub fn track(&mut self, name: &str, fd: RawFd, open_while: &[usize], listed_while: &[usize]) {
        assert!(
            self.tracked.iter().all(|t| t.fd != fd),
            "{name}: fd {fd} is tracked already"
        );
        for &object in open_while.iter().chain(listed_while) {
            assert!(object < self.objects.len(), "{name}: no object {object}");
        }
        let identity = identity(fd).unwrap_or_else(|err| panic!("{name}: fd {fd}: {err}"));
        self.tracked.push(Tracked {
            name: name.to_owned(),
            fd,
            identity,
            open_while: open_while.to_vec(),
            listed_while: listed_while.to_vec(),
            closes_before: interpose::closes(fd),
        });
    }

    /// Tracks the epoll instance `fd`, like [`track`](FdLedger::track); its
    /// interest list is checked while it is open.
    pub fn track_epoll(&mut self, name: &str, fd: RawFd, open_while: &[usize]) {
        assert!(self.epoll.is_none(), "one epoll instance per ledger");
        self.track(name, fd, open_while, &[]);
        self.epoll = Some(self.tracked.len() - 1);
    }

    /// Whether `object` has not been dropped yet.
    pub fn alive(&self, object: usize) -> bool {
        self.alive[object]
    }

    /// Records that the test has just dropped `object`.
    pub fn dropped(&mut self, object: usize) {
        assert!(self.alive[object], "{} dropped twice", self.objects[object]);
        self.alive[object] = false;
        self.history.push(object);
    }

    fn should_be_open(&self, tracked: &Tracked) -> bool {
        tracked.open_while.iter().any(|&object| self.alive[object])
    }

    fn should_be_listed(&self, tracked: &Tracked) -> bool {
        self.should_be_open(tracked) && tracked.listed_while.iter().any(|&o| self.alive[o])
    }

    /// Where the test is, for messages.
    fn place(&self, when: &str) -> String {
        let dropped: Vec<&str> = self.history.iter().map(|&o| &*self.objects[o]).collect();
        format!("{when} (dropped so far: {dropped:?})")
    }

    /// Compares the process with the model, as the [module
    /// documentation](self) says, then fills the numbers of fds closed
    /// since the last check with sentinels.
    pub fn check(&mut self, when: &str) {
        let place = self.place(when);
        // First the counts, before this check opens and closes anything.
        let failed = interpose::failed_closes() - self.failed_closes_before;
        let closes: Vec<u64> = self
            .tracked
            .iter()
            .map(|t| interpose::closes(t.fd) - t.closes_before)
            .collect();
        let sentinel_fds: BTreeSet<RawFd> = self.sentinels.iter().copied().collect();
        for &fd in &sentinel_fds {
            assert_eq!(
                identity(fd).ok(),
                Some(self.dev_null),
                "{place}: sentinel fd {fd} was closed or replaced: an fd was closed twice"
            );
        }
        let mut to_fill = Vec::new();
        for (tracked, closes) in self.tracked.iter().zip(closes) {
            let (name, fd) = (&tracked.name, tracked.fd);
            if self.should_be_open(tracked) {
                assert!(
                    !sentinel_fds.contains(&fd),
                    "{place}: {name} (fd {fd}) was closed earlier, yet should be open"
                );
                assert_eq!(
                    identity(fd).ok(),
                    Some(tracked.identity),
                    "{place}: {name} (fd {fd}) should be open"
                );
            } else if !sentinel_fds.contains(&fd) {
                assert!(!is_open(fd), "{place}: {name} (fd {fd}) should be closed");
                to_fill.push(fd);
            }
            if self.counting_closes {
                let expected = u64::from(!self.should_be_open(tracked));
                assert_eq!(
                    closes, expected,
                    "{place}: {name} (fd {fd}) closed {closes} times, not {expected}"
                );
            }
        }
        assert_eq!(failed, 0, "{place}: {failed} close(s) failed: EBADF");
        for fd in to_fill {
            self.fill(fd);
        }
        if let Some(epoll) = self.epoll.map(|i| &self.tracked[i]) {
            if self.should_be_open(epoll) {
                let listed = interest_list(epoll.fd);
                let expected: BTreeSet<RawFd> = self
                    .tracked
                    .iter()
                    .filter(|t| self.should_be_listed(t))
                    .map(|t| t.fd)
                    .collect();
                assert_eq!(
                    listed, expected,
                    "{place}: the interest list of {}",
                    epoll.name
                );
            }
        }
        let ours: BTreeSet<RawFd> = self
            .tracked
            .iter()
            .map(|t| t.fd)
            .chain(self.sentinels.iter().copied())
            .collect();
        let others: Vec<OpenFd> = open_fds()
            .into_iter()
            .filter(|open| !ours.contains(&open.fd))
            .collect();
        assert_eq!(
            others, self.baseline,
            "{place}: fds that are not the objects' changed"
        );
    }

    /// Opens `/dev/null` until `fd` is one of the sentinels (it may be
    /// already, opened while filling a higher number).
    fn fill(&mut self, fd: RawFd) {
        for _ in 0..1024 {
            if self.sentinels.contains(&fd) {
                return;
            }
            let got = fs::File::open("/dev/null")
                .expect("opening a sentinel")
                .into_raw_fd();
            self.sentinels.push(got);
        }
        panic!("fd {fd} is closed, yet 1024 opens did not get it");
    }

    /// The last check, once every object is dropped; then closes the
    /// sentinels, and checks that the process has the fds it had when the
    /// ledger began.
    pub fn finish(mut self) {
        assert!(
            self.alive.iter().all(|alive| !alive),
            "{}: objects left alive",
            self.place("at the end")
        );
        self.check("at the end");
        let baseline = std::mem::take(&mut self.baseline);
        drop(self);
        assert_eq!(open_fds(), baseline, "at the end, the fds of before");
    }
}

impl Drop for FdLedger {
    /// Closes the sentinels that are still there: after a failed check,
    /// the code under test may have closed some (and the ledger may have
    /// opened a new sentinel on the same number).
    fn drop(&mut self) {
        let mut closed = BTreeSet::new();
        for &fd in &self.sentinels {
            if closed.insert(fd) && identity(fd).ok() == Some(self.dev_null) {
                // SAFETY: the ledger opened `fd` and gave it to no one, and
                // it is still a `/dev/null`: the ledger's own sentinel.
                unsafe { libc::close(fd) };
            }
        }
    }
}

/// The fd numbers in the interest list of the epoll instance `epfd`, from
/// the `tfd:` lines of `/proc/self/fdinfo/<epfd>` (`man 5 proc`).
fn interest_list(epfd: RawFd) -> BTreeSet<RawFd> {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{epfd}")).expect("reading fdinfo");
    info.lines()
        .filter_map(|line| line.strip_prefix("tfd:"))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .and_then(|fd| fd.parse().ok())
                .expect("tfd: followed by an fd number")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_every_order_once() {
        assert_eq!(permutations(0), vec![Vec::<usize>::new()]);
        assert_eq!(
            permutations(3),
            [
                [0, 1, 2],
                [0, 2, 1],
                [1, 0, 2],
                [1, 2, 0],
                [2, 0, 1],
                [2, 1, 0]
            ]
        );
        let six = permutations(6);
        assert_eq!(six.len(), 720);
        let distinct: BTreeSet<&Vec<usize>> = six.iter().collect();
        assert_eq!(distinct.len(), 720);
    }
}
