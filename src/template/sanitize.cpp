void bulwark_sanitize_placeholder() {}
