CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    age BIGINT,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
