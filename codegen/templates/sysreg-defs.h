#ifndef __ASM_SYSREG_DEFS_H
#define __ASM_SYSREG_DEFS_H

/* Generated file - do not edit */

{% for item in items -%}
{% if let Some(e) = item.encoding -%}
#define {{ ("REG_" ~ item.name)|pad }}S{{ e.op0 }}_{{ e.op1 }}_C{{ e.crn }}_C{{ e.crm }}_{{ e.op2 }}
#define {{ ("SYS_" ~ item.name)|pad }}sys_reg({{ e.op0 }}, {{ e.op1 }}, {{ e.crn }}, {{ e.crm }}, {{ e.op2 }})
#define {{ ("SYS_" ~ item.name ~ "_Op0")|pad }}{{ e.op0 }}
#define {{ ("SYS_" ~ item.name ~ "_Op1")|pad }}{{ e.op1 }}
#define {{ ("SYS_" ~ item.name ~ "_CRn")|pad }}{{ e.crn }}
#define {{ ("SYS_" ~ item.name ~ "_CRm")|pad }}{{ e.crm }}
#define {{ ("SYS_" ~ item.name ~ "_Op2")|pad }}{{ e.op2 }}

{% endif -%}
{% for layout in item.layouts -%}
{% for f in layout.fields -%}
#define {{ (layout.c_name ~ "_" ~ f.name)|pad }}GENMASK({{ f.bits.msb }}, {{ f.bits.lsb }})
#define {{ (layout.c_name ~ "_" ~ f.name ~ "_MASK")|pad }}GENMASK({{ f.bits.msb }}, {{ f.bits.lsb }})
#define {{ (layout.c_name ~ "_" ~ f.name ~ "_SHIFT")|pad }}{{ f.bits.lsb }}
#define {{ (layout.c_name ~ "_" ~ f.name ~ "_WIDTH")|pad }}{{ f.bits.width() }}
{% if let Some(signed) = f.signed -%}
#define {{ (layout.c_name ~ "_" ~ f.name ~ "_SIGNED")|pad }}{{ signed }}
{% endif -%}
{% for v in f.values -%}
#define {{ (layout.c_name ~ "_" ~ f.name ~ "_" ~ v.name)|pad }}UL({{ v.spelling }})
{% endfor %}
{% endfor -%}
{% if let Some(m) = layout.masks -%}
#define {{ (layout.c_name ~ "_RES0")|pad }}({{ m.res0 }})
#define {{ (layout.c_name ~ "_RES1")|pad }}({{ m.res1 }})
#define {{ (layout.c_name ~ "_UNKN")|pad }}({{ m.unkn }})

{% endif -%}
{% endfor -%}
{% if let Some(target) = item.fields_from -%}
/* For {{ item.name }} fields see {{ target }} */

{% endif -%}
{% endfor -%}
#endif /* __ASM_SYSREG_DEFS_H */
