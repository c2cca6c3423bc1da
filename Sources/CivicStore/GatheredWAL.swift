import CSQLite
import Foundation

/// A VFS over SQLite's default one that gathers the writes a transaction makes to its WAL file and hands them to
/// the kernel as one `pwrite` when SQLite next needs them on disk (its `xSync` at COMMIT) or reads the file.
///
/// Why: SQLite writes each WAL frame as two `pwrite`s, its 24-byte header and its page, so a commit of ten pages
/// is twenty system calls, and the two calls of a frame dirty the same page-cache page twice; at 1,000 cases/s a
/// node commits about once per case and `pwrite` was 18 % of each store writer's time (`docs/profiles/`).
///
/// Only for connections with `synchronous = FULL` (`Database` opens no other through it): there every COMMIT
/// syncs the WAL before it publishes the new frames in the WAL index, so whatever a reader on another connection
/// may look up has reached the file; this connection's own reads of the WAL, its size, truncation, sync and close
/// first write out what is gathered. A crash loses only what was never synced, as without it: a transaction is
/// acknowledged only after its `xSync`. Files other than the WAL are the default VFS's own, untouched.
public enum GatheredWAL {
    public static let vfsName = "civicmesh-gathered-wal"

    /// At most this many bytes wait in memory (a larger write, or one that would overflow it, goes out first).
    /// Under 128 KB: the default VFS writes at most the low 17 bits of a length (`seekAndWriteFd`: `nBuf &= 0x1ffff`),
    /// so a longer write would come back short and read as a full disk.
    static let capacity = 64 << 10

    /// Registers the VFS once per process; nil when SQLite has no default VFS to wrap (then plain SQLite is used).
    nonisolated(unsafe) static let registered: UnsafeMutablePointer<sqlite3_vfs>? = {
        guard let base = sqlite3_vfs_find(nil) else { return nil }
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: base.pointee)
        vfs.pointee.zName = UnsafePointer(strdup(vfsName))
        vfs.pointee.pAppData = UnsafeMutableRawPointer(base)
        vfs.pointee.szOsFile = Int32(Layout.realFileOffset) + base.pointee.szOsFile
        vfs.pointee.pNext = nil
        vfs.pointee.xOpen = gatheredOpen
        guard sqlite3_vfs_register(vfs, 0) == SQLITE_OK else { return nil }
        return vfs
    }()

    /// The writes SQLite made to this connection's WAL and the `pwrite`s they went out in, since it was opened;
    /// nil when its WAL is not gathered (a read-only or `synchronous = NORMAL` connection, or no WAL open yet).
    static func statistics(of connection: OpaquePointer) -> (writes: Int, flushes: Int)? {
        var pointer: UnsafeMutableRawPointer?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_JOURNAL_POINTER, &pointer) == SQLITE_OK,
              let file = pointer?.assumingMemoryBound(to: sqlite3_file.self),
              let methods = file.pointee.pMethods, methods == UnsafePointer(methodsV1) || methods == UnsafePointer(methodsV2) || methods == UnsafePointer(methodsV3)
        else { return nil }
        let gathered = state(file).pointee
        return (gathered.writes, gathered.flushes)
    }

    // MARK: - The file

    /// A WAL file opened through this VFS: SQLite's `sqlite3_file` (whose methods are ours), then a pointer to
    /// the gathered bytes, then the default VFS's own file, which does the I/O.
    enum Layout {
        static let stateOffset = MemoryLayout<UnsafeRawPointer>.stride
        static let realFileOffset = 2 * MemoryLayout<UnsafeRawPointer>.stride
    }

    struct Gathered {
        var bytes: UnsafeMutableRawPointer
        var start: sqlite3_int64 = 0
        var count = 0
        /// Calls to `xWrite`, and `pwrite`s made for them (read by `statistics`; only the connection's thread writes them).
        var writes = 0
        var flushes = 0
    }

    static func state(_ file: UnsafeMutablePointer<sqlite3_file>) -> UnsafeMutablePointer<Gathered> {
        UnsafeMutableRawPointer(file).load(fromByteOffset: Layout.stateOffset, as: UnsafeMutablePointer<Gathered>.self)
    }

    static func real(_ file: UnsafeMutablePointer<sqlite3_file>) -> UnsafeMutablePointer<sqlite3_file> {
        (UnsafeMutableRawPointer(file) + Layout.realFileOffset).assumingMemoryBound(to: sqlite3_file.self)
    }

    static func methods(_ real: UnsafeMutablePointer<sqlite3_file>) -> sqlite3_io_methods { real.pointee.pMethods.pointee }

    /// Writes out what is gathered (one `pwrite`); the bytes are dropped either way, and an error is SQLite's to report.
    static func flush(_ file: UnsafeMutablePointer<sqlite3_file>) -> Int32 {
        let gathered = state(file)
        guard gathered.pointee.count > 0 else { return SQLITE_OK }
        let (bytes, count, start) = (gathered.pointee.bytes, Int32(gathered.pointee.count), gathered.pointee.start)
        let code = passOn(file) { $1.xWrite!($0, bytes, count, start) }
        gathered.pointee.count = 0
        gathered.pointee.flushes += 1
        return code
    }

    static let gatheredOpen: @convention(c) (UnsafeMutablePointer<sqlite3_vfs>?, sqlite3_filename?, UnsafeMutablePointer<sqlite3_file>?, Int32,
                                             UnsafeMutablePointer<Int32>?) -> Int32 = { vfs, name, file, flags, outFlags in
        guard let vfs, let file, let baseRaw = vfs.pointee.pAppData else { return SQLITE_CANTOPEN }
        let base = baseRaw.assumingMemoryBound(to: sqlite3_vfs.self)
        guard flags & SQLITE_OPEN_WAL != 0 else {
            // Not a WAL: the default VFS's file, in the first bytes of the (larger) space SQLite gave us.
            return base.pointee.xOpen!(base, name, file, flags, outFlags)
        }
        file.pointee.pMethods = nil
        let inner = GatheredWAL.real(file)
        let code = base.pointee.xOpen!(base, name, inner, flags, outFlags)
        guard code == SQLITE_OK else { return code }
        let gathered = UnsafeMutablePointer<Gathered>.allocate(capacity: 1)
        gathered.initialize(to: Gathered(bytes: UnsafeMutableRawPointer.allocate(byteCount: GatheredWAL.capacity, alignment: 16)))
        UnsafeMutableRawPointer(file).storeBytes(of: gathered, toByteOffset: Layout.stateOffset, as: UnsafeMutablePointer<Gathered>.self)
        file.pointee.pMethods = UnsafePointer(GatheredWAL.ioMethods(version: GatheredWAL.methods(inner).iVersion))
        return SQLITE_OK
    }

    /// The methods of a gathered WAL file, one table per version of the default VFS's methods.
    static func ioMethods(version: Int32) -> UnsafeMutablePointer<sqlite3_io_methods> {
        version >= 3 ? methodsV3 : (version == 2 ? methodsV2 : methodsV1)
    }
    nonisolated(unsafe) static let methodsV1 = makeMethods(version: 1)
    nonisolated(unsafe) static let methodsV2 = makeMethods(version: 2)
    nonisolated(unsafe) static let methodsV3 = makeMethods(version: 3)

    typealias File = UnsafeMutablePointer<sqlite3_file>

    /// Calls a method of the default VFS's file underneath.
    static func passOn(_ file: File?, _ call: (File, sqlite3_io_methods) -> Int32) -> Int32 {
        guard let file else { return SQLITE_MISUSE }
        let inner = real(file)
        return call(inner, methods(inner))
    }

    /// The same, once what is gathered is written out (an error in that write is the call's).
    static func passOnFlushed(_ file: File?, _ call: (File, sqlite3_io_methods) -> Int32) -> Int32 {
        guard let file else { return SQLITE_MISUSE }
        let flushed = flush(file)
        guard flushed == SQLITE_OK else { return flushed }
        return passOn(file, call)
    }

    /// Gathers a write that continues the gathered run; anything else sends the run first.
    static func gather(_ file: File, _ data: UnsafeRawPointer, _ amount: Int32, _ offset: sqlite3_int64) -> Int32 {
        let gathered = state(file)
        let size = Int(amount)
        if gathered.pointee.count > 0, offset != gathered.pointee.start + sqlite3_int64(gathered.pointee.count) || gathered.pointee.count + size > capacity {
            let flushed = flush(file)
            guard flushed == SQLITE_OK else { return flushed }
        }
        guard size <= capacity else {
            gathered.pointee.flushes += 1
            return passOn(file) { $1.xWrite!($0, data, amount, offset) }
        }
        if gathered.pointee.count == 0 { gathered.pointee.start = offset }
        (gathered.pointee.bytes + gathered.pointee.count).copyMemory(from: data, byteCount: size)
        gathered.pointee.count += size
        gathered.pointee.writes += 1
        return SQLITE_OK
    }

    /// Writes out what is gathered, closes the file underneath and frees the gathering space.
    static func close(_ file: File) -> Int32 {
        let flushed = flush(file)
        let closed = passOn(file) { $1.xClose!($0) }
        let gathered = state(file)
        gathered.pointee.bytes.deallocate()
        gathered.deallocate()
        return flushed != SQLITE_OK ? flushed : closed
    }

    /// Every method passes on to the default VFS's file: the ones that read, size, truncate, sync, control or map
    /// the file after writing out what is gathered, the lock and shared-memory ones as they are.
    static func makeMethods(version: Int32) -> UnsafeMutablePointer<sqlite3_io_methods> {
        let m = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
        m.initialize(to: sqlite3_io_methods(
            iVersion: version,
            xClose: { file in file.map(GatheredWAL.close) ?? SQLITE_MISUSE },
            xRead: { file, out, amount, offset in GatheredWAL.passOnFlushed(file) { $1.xRead!($0, out, amount, offset) } },
            xWrite: { file, data, amount, offset in
                guard let file, let data else { return SQLITE_MISUSE }
                return GatheredWAL.gather(file, data, amount, offset)
            },
            xTruncate: { file, size in GatheredWAL.passOnFlushed(file) { $1.xTruncate!($0, size) } },
            xSync: { file, flags in GatheredWAL.passOnFlushed(file) { $1.xSync!($0, flags) } },
            xFileSize: { file, size in GatheredWAL.passOnFlushed(file) { $1.xFileSize!($0, size) } },
            xLock: { file, level in GatheredWAL.passOn(file) { $1.xLock!($0, level) } },
            xUnlock: { file, level in GatheredWAL.passOn(file) { $1.xUnlock!($0, level) } },
            xCheckReservedLock: { file, out in GatheredWAL.passOn(file) { $1.xCheckReservedLock!($0, out) } },
            xFileControl: { file, op, argument in GatheredWAL.passOnFlushed(file) { $1.xFileControl!($0, op, argument) } },
            xSectorSize: { file in file == nil ? 4096 : GatheredWAL.passOn(file) { $1.xSectorSize!($0) } },
            xDeviceCharacteristics: { file in file == nil ? 0 : GatheredWAL.passOn(file) { $1.xDeviceCharacteristics!($0) } },
            xShmMap: version < 2 ? nil : { file, page, pageSize, extend, out in GatheredWAL.passOn(file) { $1.xShmMap!($0, page, pageSize, extend, out) } },
            xShmLock: version < 2 ? nil : { file, offset, n, flags in GatheredWAL.passOn(file) { $1.xShmLock!($0, offset, n, flags) } },
            xShmBarrier: version < 2 ? nil : { file in _ = GatheredWAL.passOn(file) { $1.xShmBarrier!($0); return SQLITE_OK } },
            xShmUnmap: version < 2 ? nil : { file, delete in GatheredWAL.passOn(file) { $1.xShmUnmap!($0, delete) } },
            xFetch: version < 3 ? nil : { file, offset, amount, out in GatheredWAL.passOnFlushed(file) { $1.xFetch!($0, offset, amount, out) } },
            xUnfetch: version < 3 ? nil : { file, offset, pointer in GatheredWAL.passOn(file) { $1.xUnfetch!($0, offset, pointer) } }))
        return m
    }
}
