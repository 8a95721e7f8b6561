pub fn dump(_db: &sysreg_db::Database, _s: &sysreg_db::SourceMap) -> String {
    String::new()
}
