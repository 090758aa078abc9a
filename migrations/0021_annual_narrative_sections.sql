-- Seed 002's structure of the annual report (layout template v3): the strengths (ưu điểm) of
-- "II- Nhận xét chung", the lessons learnt (bài học kinh nghiệm) and next year's tasks
-- (nhiệm vụ, giải pháp cụ thể) are narrative sections of their own.

ALTER TABLE annual_narratives
    ADD COLUMN uu_diem  text NOT NULL DEFAULT '',
    ADD COLUMN bai_hoc  text NOT NULL DEFAULT '',
    ADD COLUMN nhiem_vu text NOT NULL DEFAULT '';
