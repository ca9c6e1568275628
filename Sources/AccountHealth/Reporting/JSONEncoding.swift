/// Encodable values to `JSON` trees: keys in the order the value encodes them (a synthesized `Encodable` uses
/// the declaration order), a `nil` optional as `null` (the documented keys are always present), a double that
/// is not finite as `null`, and a `JSON` value as it is. `JSON.text(of:)` writes the encoded nodes directly
/// with the same writer as `JSON.serialized`, so both give the same bytes.
extension JSON: Encodable {
    /// A `JSON` value encodes as itself (through `JSON.encode` it is inserted unchanged).
    public func encode(to encoder: any Encoder) throws {
        if let tree = encoder as? TreeEncoder {
            tree.node.setLeaf(self)
            return
        }
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let v): if v.isFinite { try c.encode(v) } else { try c.encodeNil() }
        case .int(let v): try c.encode(v)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o):
            // Only TreeEncoder keeps key order; another encoder gets the keys as its container orders them.
            try c.encode(Dictionary(o, uniquingKeysWith: { first, _ in first }))
        }
    }

    /// The tree of an encodable value. The tree encoder itself never fails; a value whose own `encode(to:)`
    /// throws is a programming error, so it is reported as a precondition failure, not hidden in the output.
    public static func encode<T: Encodable>(_ value: T) -> JSON { TreeEncoder.root(of: value).tree }

    /// The JSON text of an encodable value, pretty (as `--format json` writes it) or compact: the bytes of
    /// `JSON.encode(value).serialized(pretty:)`, written from the encoded nodes without building the tree.
    public static func text<T: Encodable>(of value: T, pretty: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4096)
        TreeEncoder.root(of: value).write(into: &bytes, indent: pretty ? 0 : -1)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One value being encoded: a leaf, an object whose keys keep their order, or an array. A member or item
/// that is a leaf (a number, a string, a flag) is stored in place, so only objects and arrays are allocated.
final class TreeNode {
    enum Kind {
        case unset, leaf, object, array
    }

    /// A member's or an item's value: a leaf in place, or a node of its own.
    enum Child {
        case leaf(JSON)
        case node(TreeNode)
    }

    var kind = Kind.unset
    var leaf = JSON.null
    var keys: [String] = []
    var children: [Child] = []

    func setLeaf(_ value: JSON) {
        kind = .leaf
        leaf = value
    }

    /// The finished tree below this node (an unset node is `null`).
    var tree: JSON {
        switch kind {
        case .unset: return .null
        case .leaf: return leaf
        case .object: return .object(zip(keys, children).map { ($0, TreeNode.tree($1)) })
        case .array: return .array(children.map(TreeNode.tree))
        }
    }

    static func tree(_ child: Child) -> JSON {
        switch child {
        case .leaf(let v): return v
        case .node(let n): return n.tree
        }
    }

    /// The node's JSON text, as `tree.serialized` writes it.
    func write(into out: inout [UInt8], indent: Int) {
        switch kind {
        case .unset: out.append(contentsOf: "null".utf8)
        case .leaf: JSONWriter.value(leaf, into: &out, indent: indent)
        case .object:
            JSONWriter.object(count: keys.count, into: &out, indent: indent) { i, out, inner in
                JSONWriter.string(keys[i], into: &out)
                out.append(contentsOf: inner >= 0 ? [0x3A, 0x20] : [0x3A])
                TreeNode.write(children[i], into: &out, indent: inner)
            }
        case .array:
            let scalars = children.allSatisfy(TreeNode.isScalar)
            JSONWriter.array(count: children.count, scalars: scalars, into: &out, indent: indent) { i, out, inner in
                TreeNode.write(children[i], into: &out, indent: inner)
            }
        }
    }

    static func write(_ child: Child, into out: inout [UInt8], indent: Int) {
        switch child {
        case .leaf(let v): JSONWriter.value(v, into: &out, indent: indent)
        case .node(let n): n.write(into: &out, indent: indent)
        }
    }

    static func isScalar(_ child: Child) -> Bool {
        switch child {
        case .leaf(let v): return v.isScalar
        case .node(let n):
            switch n.kind {
            case .unset: return true
            case .leaf: return n.leaf.isScalar
            case .object, .array: return false
            }
        }
    }

    func makeObject() {
        if kind != .object {
            kind = .object
            keys = []
            children = []
        }
    }

    func makeArray() {
        if kind != .array {
            kind = .array
            keys = []
            children = []
        }
    }

    /// Appends a member (`key` non-nil, to an object) or an item (to an array).
    func append(_ key: String?, _ child: Child) {
        if let key {
            makeObject()
            keys.append(key)
        } else {
            makeArray()
        }
        children.append(child)
    }

    /// Appends a member or an item that is a node of its own, and returns it.
    func appendNode(_ key: String?) -> TreeNode {
        let node = TreeNode()
        append(key, .node(node))
        return node
    }

    /// Appends a member or an item holding `value`: in place when it is a leaf, else as a node it encodes into.
    func append<T: Encodable>(_ key: String?, _ value: T, path: CodingPath) throws {
        if let leaf = TreeEncoder.leaf(value) {
            append(key, .leaf(leaf))
        } else {
            try value.encode(to: TreeEncoder(node: appendNode(key), path: path))
        }
    }
}

/// A coding path kept as a chain of parents, so that encoding a member costs no array; `codingPath` builds the
/// array only when asked (an error message).
final class CodingPath {
    let parent: CodingPath?
    let key: (any CodingKey)?

    init(parent: CodingPath? = nil, key: (any CodingKey)? = nil) {
        self.parent = parent
        self.key = key
    }

    func appending(_ key: any CodingKey) -> CodingPath { CodingPath(parent: self, key: key) }

    var keys: [any CodingKey] {
        var out: [any CodingKey] = []
        var p: CodingPath? = self
        while let node = p {
            if let k = node.key { out.append(k) }
            p = node.parent
        }
        return out.reversed()
    }
}

/// The encoder behind `JSON.encode`.
final class TreeEncoder: Encoder {
    let node: TreeNode
    let path: CodingPath
    var codingPath: [any CodingKey] { path.keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: TreeNode = TreeNode(), path: CodingPath = CodingPath()) {
        self.node = node
        self.path = path
    }

    /// The encoded node of a value.
    static func root<T: Encodable>(of value: T) -> TreeNode {
        let node = TreeNode()
        do {
            if let leaf = leaf(value) {
                node.setLeaf(leaf)
            } else {
                try value.encode(to: TreeEncoder(node: node))
            }
        } catch {
            preconditionFailure("\(T.self) could not be encoded: \(error)")
        }
        return node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedTreeContainer<Key>(node: node, path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedTreeContainer(node: node, path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleTreeContainer(node: node, path: path) }

    /// A leaf's JSON, or nil for a value that has to be encoded through its own `encode(to:)`.
    @inline(__always)
    static func leaf<T: Encodable>(_ value: T) -> JSON? {
        switch value {
        case let v as String: return .string(v)
        case let v as Double: return .num(v)
        case let v as Int: return .int(v)
        case let v as Bool: return .bool(v)
        case let v as JSON: return v
        case let v as Int32: return .int(Int(v))
        case let v as Int64: return .int(Int(v))
        case let v as UInt8: return .int(Int(v))
        case let v as UInt64: return .int(Int(truncatingIfNeeded: v))
        case let v as Float: return .num(Double(v))
        default: return nil
        }
    }
}

struct KeyedTreeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: TreeNode
    let path: CodingPath
    var codingPath: [any CodingKey] { path.keys }

    mutating func encodeNil(forKey key: Key) throws { node.append(key.stringValue, .leaf(.null)) }

    // The common leaves without a dynamic cast.
    mutating func encode(_ value: String, forKey key: Key) throws {
        node.append(key.stringValue, .leaf(.string(value)))
    }
    mutating func encode(_ value: Double, forKey key: Key) throws { node.append(key.stringValue, .leaf(.num(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { node.append(key.stringValue, .leaf(.int(value))) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { node.append(key.stringValue, .leaf(.bool(value))) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try node.append(key.stringValue, value, path: path.appending(key))
    }

    // A nil optional is written as null: every documented key is present in every answer.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
        if let value { try encode(Int(value), forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.appendNode(key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(node: child, path: path.appending(key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.appendNode(key.stringValue)
        child.makeArray()
        return UnkeyedTreeContainer(node: child, path: path.appending(key))
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(node: node.appendNode("super"), path: path) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(node: node.appendNode(key.stringValue), path: path.appending(key))
    }
}

struct UnkeyedTreeContainer: UnkeyedEncodingContainer {
    let node: TreeNode
    let path: CodingPath
    var codingPath: [any CodingKey] { path.keys }
    var count: Int { node.kind == .array ? node.children.count : 0 }

    mutating func encodeNil() throws { node.append(nil, .leaf(.null)) }
    mutating func encode(_ value: String) throws { node.append(nil, .leaf(.string(value))) }
    mutating func encode(_ value: Double) throws { node.append(nil, .leaf(.num(value))) }
    mutating func encode(_ value: Int) throws { node.append(nil, .leaf(.int(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.append(nil, value, path: path) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.appendNode(nil)
        child.makeObject()
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(node: child, path: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.appendNode(nil)
        child.makeArray()
        return UnkeyedTreeContainer(node: child, path: path)
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(node: node.appendNode(nil), path: path) }
}

struct SingleTreeContainer: SingleValueEncodingContainer {
    let node: TreeNode
    let path: CodingPath
    var codingPath: [any CodingKey] { path.keys }

    mutating func encodeNil() throws { node.setLeaf(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        if let leaf = TreeEncoder.leaf(value) {
            node.setLeaf(leaf)
        } else {
            try value.encode(to: TreeEncoder(node: node, path: path))
        }
    }
}
