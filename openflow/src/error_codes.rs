//! Every error type and code of OpenFlow 1.0 to 1.4 (generated from the
//! specifications' `ofp_error_type` and `ofp_*_code` enums).

/// One error type: number, name, codes with their names.
pub(crate) type ErrorTypeEntry = (u16, &'static str, &'static [(u16, &'static str)]);

/// `HELLO_FAILED` codes, the same in OpenFlow 1.0, 1.1, 1.2, 1.3, 1.4.
const HELLO_FAILED_10: &[(u16, &str)] = &[(0, "INCOMPATIBLE"), (1, "EPERM")];

/// `QUEUE_OP_FAILED` codes, the same in OpenFlow 1.0, 1.1, 1.2, 1.3, 1.4.
const QUEUE_OP_FAILED_10: &[(u16, &str)] = &[(0, "BAD_PORT"), (1, "BAD_QUEUE"), (2, "EPERM")];

/// `BAD_ACTION` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const BAD_ACTION_12: &[(u16, &str)] = &[
    (0, "BAD_TYPE"),
    (1, "BAD_LEN"),
    (2, "BAD_EXPERIMENTER"),
    (3, "BAD_EXP_TYPE"),
    (4, "BAD_OUT_PORT"),
    (5, "BAD_ARGUMENT"),
    (6, "EPERM"),
    (7, "TOO_MANY"),
    (8, "BAD_QUEUE"),
    (9, "BAD_OUT_GROUP"),
    (10, "MATCH_INCONSISTENT"),
    (11, "UNSUPPORTED_ORDER"),
    (12, "BAD_TAG"),
    (13, "BAD_SET_TYPE"),
    (14, "BAD_SET_LEN"),
    (15, "BAD_SET_ARGUMENT"),
];

/// `BAD_INSTRUCTION` codes, the same in OpenFlow 1.2, 1.3.
const BAD_INSTRUCTION_12: &[(u16, &str)] = &[
    (0, "UNKNOWN_INST"),
    (1, "UNSUP_INST"),
    (2, "BAD_TABLE_ID"),
    (3, "UNSUP_METADATA"),
    (4, "UNSUP_METADATA_MASK"),
    (5, "BAD_EXPERIMENTER"),
    (6, "BAD_EXP_TYPE"),
    (7, "BAD_LEN"),
    (8, "EPERM"),
];

/// `BAD_MATCH` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const BAD_MATCH_12: &[(u16, &str)] = &[
    (0, "BAD_TYPE"),
    (1, "BAD_LEN"),
    (2, "BAD_TAG"),
    (3, "BAD_DL_ADDR_MASK"),
    (4, "BAD_NW_ADDR_MASK"),
    (5, "BAD_WILDCARDS"),
    (6, "BAD_FIELD"),
    (7, "BAD_VALUE"),
    (8, "BAD_MASK"),
    (9, "BAD_PREREQ"),
    (10, "DUP_FIELD"),
    (11, "EPERM"),
];

/// `FLOW_MOD_FAILED` codes, the same in OpenFlow 1.2, 1.3.
const FLOW_MOD_FAILED_12: &[(u16, &str)] = &[
    (0, "UNKNOWN"),
    (1, "TABLE_FULL"),
    (2, "BAD_TABLE_ID"),
    (3, "OVERLAP"),
    (4, "EPERM"),
    (5, "BAD_TIMEOUT"),
    (6, "BAD_COMMAND"),
    (7, "BAD_FLAGS"),
];

/// `GROUP_MOD_FAILED` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const GROUP_MOD_FAILED_12: &[(u16, &str)] = &[
    (0, "GROUP_EXISTS"),
    (1, "INVALID_GROUP"),
    (2, "WEIGHT_UNSUPPORTED"),
    (3, "OUT_OF_GROUPS"),
    (4, "OUT_OF_BUCKETS"),
    (5, "CHAINING_UNSUPPORTED"),
    (6, "WATCH_UNSUPPORTED"),
    (7, "LOOP"),
    (8, "UNKNOWN_GROUP"),
    (9, "CHAINED_GROUP"),
    (10, "BAD_TYPE"),
    (11, "BAD_COMMAND"),
    (12, "BAD_BUCKET"),
    (13, "BAD_WATCH"),
    (14, "EPERM"),
];

/// `PORT_MOD_FAILED` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const PORT_MOD_FAILED_12: &[(u16, &str)] = &[
    (0, "BAD_PORT"),
    (1, "BAD_HW_ADDR"),
    (2, "BAD_CONFIG"),
    (3, "BAD_ADVERTISE"),
    (4, "EPERM"),
];

/// `TABLE_MOD_FAILED` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const TABLE_MOD_FAILED_12: &[(u16, &str)] = &[(0, "BAD_TABLE"), (1, "BAD_CONFIG"), (2, "EPERM")];

/// `SWITCH_CONFIG_FAILED` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const SWITCH_CONFIG_FAILED_12: &[(u16, &str)] = &[(0, "BAD_FLAGS"), (1, "BAD_LEN"), (2, "EPERM")];

/// `ROLE_REQUEST_FAILED` codes, the same in OpenFlow 1.2, 1.3, 1.4.
const ROLE_REQUEST_FAILED_12: &[(u16, &str)] = &[(0, "STALE"), (1, "UNSUP"), (2, "BAD_ROLE")];

/// `METER_MOD_FAILED` codes, the same in OpenFlow 1.3, 1.4.
const METER_MOD_FAILED_13: &[(u16, &str)] = &[
    (0, "UNKNOWN"),
    (1, "METER_EXISTS"),
    (2, "INVALID_METER"),
    (3, "UNKNOWN_METER"),
    (4, "BAD_COMMAND"),
    (5, "BAD_FLAGS"),
    (6, "BAD_RATE"),
    (7, "BAD_BURST"),
    (8, "BAD_BAND"),
    (9, "BAD_BAND_VALUE"),
    (10, "OUT_OF_METERS"),
    (11, "OUT_OF_BANDS"),
];

/// Error types and codes of OF10: (type, type name, [(code, code name)]).
pub(crate) static OF10: &[ErrorTypeEntry] = &[
    (0, "HELLO_FAILED", HELLO_FAILED_10),
    (
        1,
        "BAD_REQUEST",
        &[
            (0, "BAD_VERSION"),
            (1, "BAD_TYPE"),
            (2, "BAD_STAT"),
            (3, "BAD_VENDOR"),
            (4, "BAD_SUBTYPE"),
            (5, "EPERM"),
            (6, "BAD_LEN"),
            (7, "BUFFER_EMPTY"),
            (8, "BUFFER_UNKNOWN"),
        ],
    ),
    (
        2,
        "BAD_ACTION",
        &[
            (0, "BAD_TYPE"),
            (1, "BAD_LEN"),
            (2, "BAD_VENDOR"),
            (3, "BAD_VENDOR_TYPE"),
            (4, "BAD_OUT_PORT"),
            (5, "BAD_ARGUMENT"),
            (6, "EPERM"),
            (7, "TOO_MANY"),
            (8, "BAD_QUEUE"),
        ],
    ),
    (
        3,
        "FLOW_MOD_FAILED",
        &[
            (0, "ALL_TABLES_FULL"),
            (1, "OVERLAP"),
            (2, "EPERM"),
            (3, "BAD_EMERG_TIMEOUT"),
            (4, "BAD_COMMAND"),
            (5, "UNSUPPORTED"),
        ],
    ),
    (4, "PORT_MOD_FAILED", &[(0, "BAD_PORT"), (1, "BAD_HW_ADDR")]),
    (5, "QUEUE_OP_FAILED", QUEUE_OP_FAILED_10),
];

/// Error types and codes of OF11: (type, type name, [(code, code name)]).
pub(crate) static OF11: &[ErrorTypeEntry] = &[
    (0, "HELLO_FAILED", HELLO_FAILED_10),
    (
        1,
        "BAD_REQUEST",
        &[
            (0, "BAD_VERSION"),
            (1, "BAD_TYPE"),
            (2, "BAD_STAT"),
            (3, "BAD_EXPERIMENTER"),
            (4, "BAD_EXP_TYPE"),
            (5, "EPERM"),
            (6, "BAD_LEN"),
            (7, "BUFFER_EMPTY"),
            (8, "BUFFER_UNKNOWN"),
            (9, "BAD_TABLE_ID"),
        ],
    ),
    (
        2,
        "BAD_ACTION",
        &[
            (0, "BAD_TYPE"),
            (1, "BAD_LEN"),
            (2, "BAD_EXPERIMENTER"),
            (3, "BAD_EXP_TYPE"),
            (4, "BAD_OUT_PORT"),
            (5, "BAD_ARGUMENT"),
            (6, "EPERM"),
            (7, "TOO_MANY"),
            (8, "BAD_QUEUE"),
            (9, "BAD_OUT_GROUP"),
            (10, "MATCH_INCONSISTENT"),
            (11, "UNSUPPORTED_ORDER"),
            (12, "BAD_TAG"),
        ],
    ),
    (
        3,
        "BAD_INSTRUCTION",
        &[
            (0, "UNKNOWN_INST"),
            (1, "UNSUP_INST"),
            (2, "BAD_TABLE_ID"),
            (3, "UNSUP_METADATA"),
            (4, "UNSUP_METADATA_MASK"),
            (5, "UNSUP_EXP_INST"),
        ],
    ),
    (
        4,
        "BAD_MATCH",
        &[
            (0, "BAD_TYPE"),
            (1, "BAD_LEN"),
            (2, "BAD_TAG"),
            (3, "BAD_DL_ADDR_MASK"),
            (4, "BAD_NW_ADDR_MASK"),
            (5, "BAD_WILDCARDS"),
            (6, "BAD_FIELD"),
            (7, "BAD_VALUE"),
        ],
    ),
    (
        5,
        "FLOW_MOD_FAILED",
        &[
            (0, "UNKNOWN"),
            (1, "TABLE_FULL"),
            (2, "BAD_TABLE_ID"),
            (3, "OVERLAP"),
            (4, "EPERM"),
            (5, "BAD_TIMEOUT"),
            (6, "BAD_COMMAND"),
        ],
    ),
    (
        6,
        "GROUP_MOD_FAILED",
        &[
            (0, "GROUP_EXISTS"),
            (1, "INVALID_GROUP"),
            (2, "WEIGHT_UNSUPPORTED"),
            (3, "OUT_OF_GROUPS"),
            (4, "OUT_OF_BUCKETS"),
            (5, "CHAINING_UNSUPPORTED"),
            (6, "WATCH_UNSUPPORTED"),
            (7, "LOOP"),
            (8, "UNKNOWN_GROUP"),
        ],
    ),
    (
        7,
        "PORT_MOD_FAILED",
        &[
            (0, "BAD_PORT"),
            (1, "BAD_HW_ADDR"),
            (2, "BAD_CONFIG"),
            (3, "BAD_ADVERTISE"),
        ],
    ),
    (
        8,
        "TABLE_MOD_FAILED",
        &[(0, "BAD_TABLE"), (1, "BAD_CONFIG")],
    ),
    (9, "QUEUE_OP_FAILED", QUEUE_OP_FAILED_10),
    (
        10,
        "SWITCH_CONFIG_FAILED",
        &[(0, "BAD_FLAGS"), (1, "BAD_LEN")],
    ),
];

/// Error types and codes of OF12: (type, type name, [(code, code name)]).
pub(crate) static OF12: &[ErrorTypeEntry] = &[
    (0, "HELLO_FAILED", HELLO_FAILED_10),
    (
        1,
        "BAD_REQUEST",
        &[
            (0, "BAD_VERSION"),
            (1, "BAD_TYPE"),
            (2, "BAD_STAT"),
            (3, "BAD_EXPERIMENTER"),
            (4, "BAD_EXP_TYPE"),
            (5, "EPERM"),
            (6, "BAD_LEN"),
            (7, "BUFFER_EMPTY"),
            (8, "BUFFER_UNKNOWN"),
            (9, "BAD_TABLE_ID"),
            (10, "IS_SLAVE"),
            (11, "BAD_PORT"),
            (12, "BAD_PACKET"),
        ],
    ),
    (2, "BAD_ACTION", BAD_ACTION_12),
    (3, "BAD_INSTRUCTION", BAD_INSTRUCTION_12),
    (4, "BAD_MATCH", BAD_MATCH_12),
    (5, "FLOW_MOD_FAILED", FLOW_MOD_FAILED_12),
    (6, "GROUP_MOD_FAILED", GROUP_MOD_FAILED_12),
    (7, "PORT_MOD_FAILED", PORT_MOD_FAILED_12),
    (8, "TABLE_MOD_FAILED", TABLE_MOD_FAILED_12),
    (9, "QUEUE_OP_FAILED", QUEUE_OP_FAILED_10),
    (10, "SWITCH_CONFIG_FAILED", SWITCH_CONFIG_FAILED_12),
    (11, "ROLE_REQUEST_FAILED", ROLE_REQUEST_FAILED_12),
];

/// Error types and codes of OF13: (type, type name, [(code, code name)]).
pub(crate) static OF13: &[ErrorTypeEntry] = &[
    (0, "HELLO_FAILED", HELLO_FAILED_10),
    (
        1,
        "BAD_REQUEST",
        &[
            (0, "BAD_VERSION"),
            (1, "BAD_TYPE"),
            (2, "BAD_MULTIPART"),
            (3, "BAD_EXPERIMENTER"),
            (4, "BAD_EXP_TYPE"),
            (5, "EPERM"),
            (6, "BAD_LEN"),
            (7, "BUFFER_EMPTY"),
            (8, "BUFFER_UNKNOWN"),
            (9, "BAD_TABLE_ID"),
            (10, "IS_SLAVE"),
            (11, "BAD_PORT"),
            (12, "BAD_PACKET"),
            (13, "MULTIPART_BUFFER_OVERFLOW"),
        ],
    ),
    (2, "BAD_ACTION", BAD_ACTION_12),
    (3, "BAD_INSTRUCTION", BAD_INSTRUCTION_12),
    (4, "BAD_MATCH", BAD_MATCH_12),
    (5, "FLOW_MOD_FAILED", FLOW_MOD_FAILED_12),
    (6, "GROUP_MOD_FAILED", GROUP_MOD_FAILED_12),
    (7, "PORT_MOD_FAILED", PORT_MOD_FAILED_12),
    (8, "TABLE_MOD_FAILED", TABLE_MOD_FAILED_12),
    (9, "QUEUE_OP_FAILED", QUEUE_OP_FAILED_10),
    (10, "SWITCH_CONFIG_FAILED", SWITCH_CONFIG_FAILED_12),
    (11, "ROLE_REQUEST_FAILED", ROLE_REQUEST_FAILED_12),
    (12, "METER_MOD_FAILED", METER_MOD_FAILED_13),
    (
        13,
        "TABLE_FEATURES_FAILED",
        &[
            (0, "BAD_TABLE"),
            (1, "BAD_METADATA"),
            (2, "BAD_TYPE"),
            (3, "BAD_LEN"),
            (4, "BAD_ARGUMENT"),
            (5, "EPERM"),
        ],
    ),
];

/// Error types and codes of OF14: (type, type name, [(code, code name)]).
pub(crate) static OF14: &[ErrorTypeEntry] = &[
    (0, "HELLO_FAILED", HELLO_FAILED_10),
    (
        1,
        "BAD_REQUEST",
        &[
            (0, "BAD_VERSION"),
            (1, "BAD_TYPE"),
            (2, "BAD_MULTIPART"),
            (3, "BAD_EXPERIMENTER"),
            (4, "BAD_EXP_TYPE"),
            (5, "EPERM"),
            (6, "BAD_LEN"),
            (7, "BUFFER_EMPTY"),
            (8, "BUFFER_UNKNOWN"),
            (9, "BAD_TABLE_ID"),
            (10, "IS_SLAVE"),
            (11, "BAD_PORT"),
            (12, "BAD_PACKET"),
            (13, "MULTIPART_BUFFER_OVERFLOW"),
            (14, "MULTIPART_REQUEST_TIMEOUT"),
            (15, "MULTIPART_REPLY_TIMEOUT"),
        ],
    ),
    (2, "BAD_ACTION", BAD_ACTION_12),
    (
        3,
        "BAD_INSTRUCTION",
        &[
            (0, "UNKNOWN_INST"),
            (1, "UNSUP_INST"),
            (2, "BAD_TABLE_ID"),
            (3, "UNSUP_METADATA"),
            (4, "UNSUP_METADATA_MASK"),
            (5, "BAD_EXPERIMENTER"),
            (6, "BAD_EXP_TYPE"),
            (7, "BAD_LEN"),
            (8, "EPERM"),
            (9, "DUP_INST"),
        ],
    ),
    (4, "BAD_MATCH", BAD_MATCH_12),
    (
        5,
        "FLOW_MOD_FAILED",
        &[
            (0, "UNKNOWN"),
            (1, "TABLE_FULL"),
            (2, "BAD_TABLE_ID"),
            (3, "OVERLAP"),
            (4, "EPERM"),
            (5, "BAD_TIMEOUT"),
            (6, "BAD_COMMAND"),
            (7, "BAD_FLAGS"),
            (8, "CANT_SYNC"),
            (9, "BAD_PRIORITY"),
        ],
    ),
    (6, "GROUP_MOD_FAILED", GROUP_MOD_FAILED_12),
    (7, "PORT_MOD_FAILED", PORT_MOD_FAILED_12),
    (8, "TABLE_MOD_FAILED", TABLE_MOD_FAILED_12),
    (9, "QUEUE_OP_FAILED", QUEUE_OP_FAILED_10),
    (10, "SWITCH_CONFIG_FAILED", SWITCH_CONFIG_FAILED_12),
    (11, "ROLE_REQUEST_FAILED", ROLE_REQUEST_FAILED_12),
    (12, "METER_MOD_FAILED", METER_MOD_FAILED_13),
    (
        13,
        "TABLE_FEATURES_FAILED",
        &[(0, "BAD_TABLE"), (1, "BAD_METADATA"), (5, "EPERM")],
    ),
    (
        14,
        "BAD_PROPERTY",
        &[
            (0, "BAD_TYPE"),
            (1, "BAD_LEN"),
            (2, "BAD_VALUE"),
            (3, "TOO_MANY"),
            (4, "DUP_TYPE"),
            (5, "BAD_EXPERIMENTER"),
            (6, "BAD_EXP_TYPE"),
            (7, "BAD_EXP_VALUE"),
            (8, "EPERM"),
        ],
    ),
    (
        15,
        "ASYNC_CONFIG_FAILED",
        &[(0, "INVALID"), (1, "UNSUPPORTED"), (2, "EPERM")],
    ),
    (
        16,
        "FLOW_MONITOR_FAILED",
        &[
            (0, "UNKNOWN"),
            (1, "MONITOR_EXISTS"),
            (2, "INVALID_MONITOR"),
            (3, "UNKNOWN_MONITOR"),
            (4, "BAD_COMMAND"),
            (5, "BAD_FLAGS"),
            (6, "BAD_TABLE_ID"),
            (7, "BAD_OUT"),
        ],
    ),
    (
        17,
        "BUNDLE_FAILED",
        &[
            (0, "UNKNOWN"),
            (1, "EPERM"),
            (2, "BAD_ID"),
            (3, "BUNDLE_EXIST"),
            (4, "BUNDLE_CLOSED"),
            (5, "OUT_OF_BUNDLES"),
            (6, "BAD_TYPE"),
            (7, "BAD_FLAGS"),
            (8, "MSG_BAD_LEN"),
            (9, "MSG_BAD_XID"),
            (10, "MSG_UNSUP"),
            (11, "MSG_CONFLICT"),
            (12, "MSG_TOO_MANY"),
            (13, "MSG_FAILED"),
            (14, "TIMEOUT"),
            (15, "BUNDLE_IN_PROGRESS"),
        ],
    ),
];
