// error.cpp: the fixed, client-safe texts of the error codes.
#include <bulwark/db.hpp>

namespace bulwark::db {

std::string_view error_code_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::unique_violation: return "unique_violation";
        case ErrorCode::foreign_key_violation: return "foreign_key_violation";
        case ErrorCode::not_null_violation: return "not_null_violation";
        case ErrorCode::check_violation: return "check_violation";
        case ErrorCode::serialization_failure: return "serialization_failure";
        case ErrorCode::busy: return "busy";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::connection: return "connection";
        case ErrorCode::invalid_statement: return "invalid_statement";
        case ErrorCode::bind_mismatch: return "bind_mismatch";
        case ErrorCode::type_mismatch: return "type_mismatch";
        case ErrorCode::invalid_value: return "invalid_value";
        case ErrorCode::too_large: return "too_large";
        case ErrorCode::multiple_rows: return "multiple_rows";
        case ErrorCode::invalid_url: return "invalid_url";
        case ErrorCode::misuse: return "misuse";
        case ErrorCode::internal: return "internal";
    }
    return "internal";
}

std::string_view DbError::message() const noexcept {
    switch (code_) {
        case ErrorCode::unique_violation: return "the record already exists";
        case ErrorCode::foreign_key_violation: return "the record refers to a missing or in-use record";
        case ErrorCode::not_null_violation: return "a required value is missing";
        case ErrorCode::check_violation: return "a value is not allowed";
        case ErrorCode::serialization_failure: return "a concurrent change conflicted; try again";
        case ErrorCode::busy: return "the database is busy; try again";
        case ErrorCode::timeout: return "the database did not answer in time";
        case ErrorCode::connection: return "the database is unavailable";
        case ErrorCode::invalid_value: return "a value was refused by the database";
        case ErrorCode::too_large: return "a value or result is too large";
        default: return "internal database error";
    }
}

std::string_view migrate_error_name(MigrateErrorCode code) noexcept {
    switch (code) {
        case MigrateErrorCode::unreadable_directory: return "unreadable_directory";
        case MigrateErrorCode::bad_file_name: return "bad_file_name";
        case MigrateErrorCode::duplicate_number: return "duplicate_number";
        case MigrateErrorCode::gap: return "gap";
        case MigrateErrorCode::checksum_mismatch: return "checksum_mismatch";
        case MigrateErrorCode::missing_file: return "missing_file";
        case MigrateErrorCode::concurrent: return "concurrent";
        case MigrateErrorCode::failed: return "failed";
    }
    return "failed";
}

}  // namespace bulwark::db
