-- Public text is public on purpose.

-- A title a person wrote for the public (status page, feeds, customer mail). NULL: nobody has,
-- and the public sees the component's name and the severity's wording instead of `title`, which
-- often carries an alert's own words.
ALTER TABLE incidents ADD COLUMN public_title TEXT;
