-- Text as written (issue 14): the look-alike letters Ð (U+00D0) and ð (U+00F0), copied from old
-- web pages, are stored as Đ and đ, and searches fold them to d; the control characters Word
-- leaves in pasted narrative become the breaks they meant (vertical tab → U+2028 line
-- separator, form feed → a new paragraph, other controls → a space). The application does the
-- same at the boundary from now on (src/text.rs); this brings the rows stored before it.

UPDATE directives
SET number = translate(number, 'Ðð', 'Đđ'),
    title = translate(title, 'Ðð', 'Đđ'),
    issuing_body = translate(issuing_body, 'Ðð', 'Đđ'),
    body = regexp_replace(
        replace(replace(translate(body, 'Ðð', 'Đđ'), chr(11), chr(8232)), chr(12), chr(10)),
        '[\x01-\x08\x0E-\x1F\x7F]', ' ', 'g'),
    search_key = translate(search_key, 'Ðð', 'dd')
WHERE number ~ '[Ðð]' OR title ~ '[Ðð]' OR issuing_body ~ '[Ðð]' OR body ~ '[Ðð\x01-\x08\x0B\x0C\x0E-\x1F\x7F]'
   OR search_key ~ '[Ðð]';

UPDATE directive_tasks SET body = translate(body, 'Ðð', 'Đđ') WHERE body ~ '[Ðð]';

UPDATE units SET search_key = translate(search_key, 'Ðð', 'dd') WHERE search_key ~ '[Ðð]';

UPDATE annual_narratives
SET ket_qua = regexp_replace(replace(replace(translate(ket_qua, 'Ðð', 'Đđ'), chr(11), chr(8232)), chr(12), chr(10)), '[\x01-\x08\x0E-\x1F\x7F]', ' ', 'g'),
    han_che = regexp_replace(replace(replace(translate(han_che, 'Ðð', 'Đđ'), chr(11), chr(8232)), chr(12), chr(10)), '[\x01-\x08\x0E-\x1F\x7F]', ' ', 'g'),
    nguyen_nhan = regexp_replace(replace(replace(translate(nguyen_nhan, 'Ðð', 'Đđ'), chr(11), chr(8232)), chr(12), chr(10)), '[\x01-\x08\x0E-\x1F\x7F]', ' ', 'g'),
    phuong_huong = regexp_replace(replace(replace(translate(phuong_huong, 'Ðð', 'Đđ'), chr(11), chr(8232)), chr(12), chr(10)), '[\x01-\x08\x0E-\x1F\x7F]', ' ', 'g'),
    kien_nghi = regexp_replace(replace(replace(translate(kien_nghi, 'Ðð', 'Đđ'), chr(11), chr(8232)), chr(12), chr(10)), '[\x01-\x08\x0E-\x1F\x7F]', ' ', 'g')
WHERE concat(ket_qua, han_che, nguyen_nhan, phuong_huong, kien_nghi) ~ '[Ðð\x01-\x08\x0B\x0C\x0E-\x1F\x7F]';
