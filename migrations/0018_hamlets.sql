-- Hamlets (thôn, ấp, khu phố, tổ dân phố) are added under a commune by administrators, with
-- local codes and validity dates. Units from the official lists keep the ids the loader gave
-- them; units added in the app take theirs from this sequence, far above the official ones.
CREATE SEQUENCE unit_local_ids START WITH 10000000;
