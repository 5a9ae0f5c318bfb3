// bulwark/result.hpp: Result<T, E>, the one way library calls report failure.
//
// Library code returns a Result instead of throwing (STYLE.md, Errors): the value, or an
// error enum documented code by code. It is [[nodiscard]], so a failure cannot be dropped
// silently. Exceptions are kept for bad configuration at start and the handler boundary.
//
//     Result<int, ParseError> r = parse(text);
//     if (!r) return r.error();
//     use(*r);
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace bulwark {

// Err wraps an error so Result's constructor can tell it from a value of the same type.
template <class E>
struct Err {
    E value;
};
template <class E>
Err(E) -> Err<E>;

// Result holds either a T or an E. Accessing the wrong one is a programming error
// (asserted in debug builds).
template <class T, class E>
class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Err<E> error) : data_(std::in_place_index<1>, std::move(error.value)) {}  // NOLINT
    Result(E error) requires(!std::is_convertible_v<E, T>)  // NOLINT
        : data_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return data_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(data_); }
    const T& value() const& { assert(ok()); return std::get<0>(data_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(data_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const { assert(!ok()); return std::get<1>(data_); }

    template <class U>
    T value_or(U&& fallback) const& {
        return ok() ? std::get<0>(data_) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, E> data_;
};

// Result<void, E>: success carries nothing.
template <class E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    Result(Err<E> error) : error_(std::move(error.value)), failed_(true) {}  // NOLINT
    Result(E error) : error_(std::move(error)), failed_(true) {}            // NOLINT

    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    const E& error() const { assert(failed_); return error_; }

private:
    E error_{};
    bool failed_ = false;
};

}  // namespace bulwark
