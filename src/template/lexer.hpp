// lexer.hpp: splits template source into text, tag delimiters and expression tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::tmpl::detail {

enum class Tok : unsigned char { text, output_begin, stmt_begin, end, name, string, integer,
                                 floating, op, eof };

struct Token {
    Tok kind = Tok::eof;
    std::string text;
    int line = 1;
    int column = 1;
};

// lex returns false with `error`, `line` and `column` set on a lexical error (unterminated
// tag, string or comment, or a stray character).
bool lex(std::string_view src, std::vector<Token>& out, std::string& error, int& line, int& column);

}  // namespace bulwark::tmpl::detail
