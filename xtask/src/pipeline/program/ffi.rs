//! The FFI element types the programs access and how far from their
//! pointer they reach.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FfiType {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

impl FfiType {
    pub fn size(self) -> i64 {
        match self {
            FfiType::I8 => 1,
            FfiType::I16 => 2,
            FfiType::I32 | FfiType::F32 => 4,
            FfiType::I64 | FfiType::F64 => 8,
        }
    }

    pub fn c_name(self) -> &'static str {
        match self {
            FfiType::I8 => "int8_t",
            FfiType::I16 => "int16_t",
            FfiType::I32 => "int32_t",
            FfiType::I64 => "int64_t",
            FfiType::F32 => "float",
            FfiType::F64 => "double",
        }
    }
}

/// Bytes of the FFI buffer on each side of the pointer the accesses use.
pub const FFI_REACH: i64 = 1024;
