// lexer.cpp: Jinja's delimiters ({{ }}, {% %}, {# #}) and whitespace control ('-' inside a
// delimiter trims the whitespace on that side).
#include "lexer.hpp"

namespace bulwark::tmpl::detail {
namespace {

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; }
bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; }
bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

class Lexer {
public:
    Lexer(std::string_view src, std::vector<Token>& out) : s_(src), out_(out) {}

    bool run(std::string& error, int& line, int& column) {
        bool trim_next = false;
        while (i_ < s_.size()) {
            std::size_t open = find_open(i_);
            std::string_view text = s_.substr(i_, open - i_);
            bool trim_prev = open + 2 < s_.size() && s_[open + 2] == '-';
            if (trim_next) while (!text.empty() && is_space(text.front())) { advance_pos(text.front()); text.remove_prefix(1); ++i_; }
            int tl = line_, tc = col_;
            advance(text.size());
            if (trim_prev) while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
            if (!text.empty()) out_.push_back({Tok::text, std::string(text), tl, tc});
            trim_next = false;
            if (open >= s_.size()) break;
            char kind = s_[open + 1];
            int ol = line_, oc = col_;
            advance(trim_prev ? 3 : 2);
            if (kind == '#') {
                std::size_t close = s_.find("#}", i_);
                if (close == std::string_view::npos) return fail("unterminated comment", ol, oc, error, line, column);
                trim_next = close > i_ && s_[close - 1] == '-';
                advance(close + 2 - i_);
                continue;
            }
            out_.push_back({kind == '{' ? Tok::output_begin : Tok::stmt_begin, "", ol, oc});
            char closer = kind == '{' ? '}' : '%';
            if (!tag_tokens(closer, trim_next, error)) {
                line = error_line_;
                column = error_col_;
                return false;
            }
        }
        out_.push_back({Tok::eof, "", line_, col_});
        return true;
    }

private:
    std::size_t find_open(std::size_t from) const {
        for (std::size_t p = s_.find('{', from); p != std::string_view::npos; p = s_.find('{', p + 1)) {
            if (p + 1 < s_.size() && (s_[p + 1] == '{' || s_[p + 1] == '%' || s_[p + 1] == '#')) return p;
        }
        return s_.size();
    }
    void advance_pos(char ch) {
        if (ch == '\n') {
            ++line_;
            col_ = 1;
        } else {
            ++col_;
        }
    }
    void advance(std::size_t n) {
        for (std::size_t k = 0; k < n && i_ < s_.size(); ++k) advance_pos(s_[i_++]);
    }
    bool fail(const char* msg, int l, int c, std::string& error, int& line, int& column) {
        error = msg;
        line = l;
        column = c;
        return false;
    }
    bool tag_fail(const char* msg, std::string& error) {
        error = msg;
        error_line_ = line_;
        error_col_ = col_;
        return false;
    }

    bool tag_tokens(char closer, bool& trim_next, std::string& error) {
        while (true) {
            while (i_ < s_.size() && is_space(s_[i_])) advance(1);
            if (i_ >= s_.size()) return tag_fail("unterminated tag", error);
            char ch = s_[i_];
            int l = line_, c = col_;
            if (ch == '-' && i_ + 2 < s_.size() && s_[i_ + 1] == closer && s_[i_ + 2] == '}') {
                trim_next = true;
                advance(3);
                out_.push_back({Tok::end, "", l, c});
                return true;
            }
            if (ch == closer && i_ + 1 < s_.size() && s_[i_ + 1] == '}') {
                advance(2);
                out_.push_back({Tok::end, "", l, c});
                return true;
            }
            if (is_alpha(ch)) {
                std::size_t start = i_;
                while (i_ < s_.size() && (is_alpha(s_[i_]) || is_digit(s_[i_]))) advance(1);
                out_.push_back({Tok::name, std::string(s_.substr(start, i_ - start)), l, c});
            } else if (is_digit(ch)) {
                std::size_t start = i_;
                bool is_float = false;
                while (i_ < s_.size() && (is_digit(s_[i_]) || s_[i_] == '_')) advance(1);
                if (i_ + 1 < s_.size() && s_[i_] == '.' && is_digit(s_[i_ + 1])) {
                    is_float = true;
                    advance(1);
                    while (i_ < s_.size() && is_digit(s_[i_])) advance(1);
                }
                std::string digits;
                for (char d : s_.substr(start, i_ - start)) if (d != '_') digits += d;
                out_.push_back({is_float ? Tok::floating : Tok::integer, digits, l, c});
            } else if (ch == '"' || ch == '\'') {
                std::string value;
                advance(1);
                while (true) {
                    if (i_ >= s_.size()) return tag_fail("unterminated string", error);
                    char d = s_[i_];
                    if (d == ch) break;
                    if (d == '\\' && i_ + 1 < s_.size()) {
                        char e = s_[i_ + 1];
                        value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
                        advance(2);
                        continue;
                    }
                    value += d;
                    advance(1);
                }
                advance(1);
                out_.push_back({Tok::string, std::move(value), l, c});
            } else {
                static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "//", "**"};
                std::string op(1, ch);
                for (auto two : kTwo) {
                    if (s_.substr(i_, 2) == two) op = std::string(two);
                }
                if (op.size() == 1 && std::string_view("()[]{}.,:|~+-*/%<>=").find(ch) == std::string_view::npos)
                    return tag_fail("unexpected character in tag", error);
                advance(op.size());
                out_.push_back({Tok::op, std::move(op), l, c});
            }
        }
    }

    std::string_view s_;
    std::vector<Token>& out_;
    std::size_t i_ = 0;
    int line_ = 1;
    int col_ = 1;
    int error_line_ = 0;
    int error_col_ = 0;
};

}  // namespace

bool lex(std::string_view src, std::vector<Token>& out, std::string& error, int& line, int& column) {
    return Lexer(src, out).run(error, line, column);
}

}  // namespace bulwark::tmpl::detail
