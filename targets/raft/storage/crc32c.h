// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum LevelDB and
// RocksDB put on every log record. Software, table-driven (one 256-entry table, built once):
// a WAL record is checksummed once on write and once on recovery, so speed is secondary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::raft::storage::crc32c {

// Returns the CRC-32C of data[0, n) continuing from `init_crc` (the CRC of the data before).
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

}  // namespace faultline::raft::storage::crc32c
