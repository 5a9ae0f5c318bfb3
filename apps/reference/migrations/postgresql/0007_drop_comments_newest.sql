-- The primary key already orders comments by id in both directions; this index only doubled the
-- writes of every new comment.
DROP INDEX comments_newest;
