/// Encodable values to `JSON` trees: keys in the order the value encodes them (a synthesized `Encodable` uses
/// the declaration order), a `nil` optional as `null` (the documented keys are always present), a double that
/// is not finite as `null`, and a `JSON` value as it is. The tree is then written by `JSON.serialized`, so an
/// encoded result is byte-stable.
extension JSON: Encodable {
    /// A `JSON` value encodes as itself (through `JSON.encode` it is inserted unchanged).
    public func encode(to encoder: any Encoder) throws {
        if let tree = encoder as? TreeEncoder {
            tree.root.value = self
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
    public static func encode<T: Encodable>(_ value: T) -> JSON {
        let encoder = TreeEncoder()
        do {
            try value.encode(to: encoder)
        } catch {
            preconditionFailure("\(T.self) could not be encoded: \(error)")
        }
        return encoder.root.tree
    }
}

/// One node of the tree being encoded: a value, an object whose keys keep their order, or an array. Members
/// and items live in stored arrays of their own, so that appending to them never copies (an array inside an
/// enum case would be copied on every append).
final class TreeNode {
    enum Kind {
        case unset, value, object, array
    }

    var kind = Kind.unset
    var leaf = JSON.null
    var members: [(String, TreeNode)] = []
    var items: [TreeNode] = []

    var value: JSON {
        get { tree }
        set {
            kind = .value
            leaf = newValue
        }
    }

    /// The finished tree below this node (an unset node is `null`).
    var tree: JSON {
        switch kind {
        case .unset: return .null
        case .value: return leaf
        case .object: return .object(members.map { ($0.0, $0.1.tree) })
        case .array: return .array(items.map(\.tree))
        }
    }

    func member(_ key: String) -> TreeNode {
        makeObject()
        let child = TreeNode()
        members.append((key, child))
        return child
    }

    func item() -> TreeNode {
        makeArray()
        let child = TreeNode()
        items.append(child)
        return child
    }

    func makeObject() {
        if kind != .object {
            kind = .object
            members = []
        }
    }

    func makeArray() {
        if kind != .array {
            kind = .array
            items = []
        }
    }
}

/// The encoder behind `JSON.encode`.
final class TreeEncoder: Encoder {
    let root: TreeNode
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(root: TreeNode = TreeNode(), codingPath: [any CodingKey] = []) {
        self.root = root
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        root.makeObject()
        return KeyedEncodingContainer(KeyedTreeContainer<Key>(node: root, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        root.makeArray()
        return UnkeyedTreeContainer(node: root, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleTreeContainer(node: root, codingPath: codingPath)
    }

    /// A leaf's JSON, or nil for a value that has to be encoded through its own `encode(to:)`.
    static func leaf<T: Encodable>(_ value: T) -> JSON? {
        switch value {
        case let v as JSON: return v
        case let v as String: return .string(v)
        case let v as Bool: return .bool(v)
        case let v as Int: return .int(v)
        case let v as Int32: return .int(Int(v))
        case let v as Int64: return .int(Int(v))
        case let v as UInt8: return .int(Int(v))
        case let v as UInt64: return .int(Int(truncatingIfNeeded: v))
        case let v as Double: return .num(v)
        case let v as Float: return .num(Double(v))
        default: return nil
        }
    }

    static func encode<T: Encodable>(_ value: T, into node: TreeNode, codingPath: [any CodingKey]) throws {
        if let leaf = leaf(value) {
            node.value = leaf
        } else {
            try value.encode(to: TreeEncoder(root: node, codingPath: codingPath))
        }
    }
}

struct KeyedTreeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: TreeNode
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).value = .null }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try TreeEncoder.encode(value, into: node.member(key.stringValue), codingPath: codingPath + [key])
    }

    // A nil optional is written as null: every documented key is present in every answer.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        try encodeIfPresent(value as String??, key)
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value as Bool??, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        try encodeIfPresent(value as Double??, key)
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value as Int??, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
        try encodeIfPresent(value as Int32??, key)
    }

    private mutating func encodeIfPresent<T: Encodable>(_ value: T??, _ key: Key) throws {
        if let value = value ?? nil { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.member(key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.makeArray()
        return UnkeyedTreeContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(root: node.member("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(root: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

struct UnkeyedTreeContainer: UnkeyedEncodingContainer {
    let node: TreeNode
    var codingPath: [any CodingKey]
    var count: Int { node.kind == .array ? node.items.count : 0 }

    mutating func encodeNil() throws { node.item().value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try TreeEncoder.encode(value, into: node.item(), codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.item()
        child.makeObject()
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(node: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.item()
        child.makeArray()
        return UnkeyedTreeContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder { TreeEncoder(root: node.item(), codingPath: codingPath) }
}

struct SingleTreeContainer: SingleValueEncodingContainer {
    let node: TreeNode
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try TreeEncoder.encode(value, into: node, codingPath: codingPath)
    }
}
